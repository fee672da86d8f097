/*
 * stage.h -- what every stage binary shares: the common flags of
 * docs/DESIGN.md, the record loop, accounting, stats, progress and exit
 * codes. A stage is a small main() around this:
 *
 *	static const struct wn_stage_def def = { .name = "cat", ... };
 *	struct wn_stage st;
 *	int rc = wn_stage_start(&st, &def, argc, argv);
 *	if (rc != WN_STAGE_RUN) return rc;
 *	struct wn_rec rec;  ... while (wn_stage_next(&st, &rec) > 0) { ... wn_stage_emit(...) }
 *	return wn_stage_finish(&st);
 *
 * Accounting identity, kept by construction: every record handed out by
 * wn_stage_next() is counted in docs_in and must end in exactly one of
 * wn_stage_emit*, wn_stage_reject*, or (for records the stage itself finds
 * malformed) wn_stage_bad. Lines that are not valid JSON objects never reach
 * the stage: the loop counts them as bad, reports them with file and line,
 * and copies them raw to --bad. Container stages (ingest, pdf) that read raw
 * files use wn_stage_count_in() and the same emit/reject/bad calls.
 *
 * Exit codes: 0 success; 1 some records bad (or a fatal data error);
 * 2 usage. A closed stdout (EPIPE) ends the stage quietly with status 0.
 * Nothing here calls exit(): functions return the code for main to return.
 */
#ifndef WN_STAGE_H
#define WN_STAGE_H

#include <getopt.h>
#include "io.h"
#include "record.h"

#define WN_STAGE_RUN (-1)
#define WN_HIST_BUCKETS 40

enum {
	WN_EXIT_OK = 0,
	WN_EXIT_DATA = 1,
	WN_EXIT_USAGE = 2,
};

/* Flags of a stage definition. */
enum {
	WN_STAGE_RAW_INPUT = 1 << 0, /* stage reads its input files itself (containers) */
	WN_STAGE_DIR_OUTPUT = 1 << 1, /* -o names a directory the stage writes itself */
	WN_STAGE_NO_OUTPUT = 1 << 2,  /* the stage writes no JSONL records */
};

struct wn_stage;

struct wn_stage_def {
	const char *name;    /* "cat": the binary is winnow-cat, messages say "winnow-cat: " */
	const char *summary; /* one line for --help and `winnow --help` */
	const char *usage;   /* synopsis after the binary name, e.g. "[OPTIONS] [FILE...]" */
	const char *options_help; /* the stage's own options, preformatted lines */
	/* with WN_STAGE_DIR_OUTPUT: the help line for -o (default "output directory") */
	const char *output_help;
	const char *shortopts;    /* the stage's own short options, getopt syntax */
	const struct option *longopts; /* the stage's own, {0} terminated; may be NULL */
	/* Values (the `val` of longopts) must be printable characters or >= 0x2000:
	 * 0x1000..0x1fff are the common options' (lib/stage.c). */
	/* Called for each of the stage's own options; returns 0, or -1 after
	 * printing a message (usage error, exit 2). */
	int (*on_option)(struct wn_stage *st, int c, const char *arg);
	unsigned flags;
	int has_threads; /* accepts -j N */
};

struct wn_stats_reason {
	char *name;
	uint64_t count;
};

struct wn_stage {
	const struct wn_stage_def *def;
	void *ctx; /* the stage's own state, for on_option */
	/* common flags */
	const char *out_path, *rejects_path, *bad_path, *stats_path;
	int strict, progress, threads;
	char **inputs; /* file arguments ("-" = stdin); at least one */
	int ninputs;
	/* counters (docs_in == docs_out + docs_rejected + docs_bad) */
	uint64_t docs_in, docs_out, docs_rejected, docs_bad, bytes_in, bytes_out;
	/* log2 histograms of record sizes in bytes: bucket k counts records of
	 * [2^k, 2^(k+1)) bytes (bucket 0 also holds empty ones) */
	uint64_t hist_in[WN_HIST_BUCKETS], hist_out[WN_HIST_BUCKETS];
	struct wn_stats_reason *reasons;
	size_t nreasons, reasonscap;
	/* extra members for the stats object: raw JSON "key":value pairs,
	 * comma-separated, added by the stage (wn_stage_stat_*) */
	struct wn_buf extra_stats;
	/* io */
	struct wn_writer *out, *rejects, *bad;
	struct wn_reader *in;
	int cur_input;      /* index into inputs of the open reader */
	uint64_t cur_line;  /* line number (from 1) of the last line read */
	int64_t total_raw;  /* sum of input sizes, -1 when unknown */
	uint64_t done_raw;  /* raw bytes of inputs finished */
	double t0, last_progress;
	int fatal;          /* a fatal error happened: finish returns 1, -o output is not kept */
	uint64_t input_errors; /* unreadable or damaged input files (exit 1, outputs kept) */
	int progress_shown; /* a progress line without its newline is on stderr */
	int pipe_closed;    /* stdout reader went away: stop quietly */
	struct wn_recout rej; /* scratch for rejects */
	struct wn_buf scratch;
	char err[512];
};

/* Parse argv (common flags merged with the stage's own; GNU permutation, so
 * options and files come in any order), handle --help / --version, open
 * outputs. Returns WN_STAGE_RUN to go on, or an exit code to return now. */
int wn_stage_start(struct wn_stage *st, const struct wn_stage_def *def, void *ctx, int argc, char **argv);

/* Next valid record from the inputs into *rec (which the loop owns until the
 * next call; rec must have been wn_rec_init'ed). Invalid lines are handled
 * here. Returns 1 for a record, 0 at the end, -1 on a fatal error (message
 * already printed; wn_stage_finish returns 1). */
int wn_stage_next(struct wn_stage *st, struct wn_rec *rec);

/* Emit one output line (must end in '\n' and be one JSON object). */
void wn_stage_emit(struct wn_stage *st, const char *line, size_t len);
/* A stage that writes its own output format (not JSONL lines through
 * wn_stage_emit) counts each output document here: docs_out, bytes_out and
 * the size histogram. */
void wn_stage_count_out(struct wn_stage *st, uint64_t bytes);
/* Emit a record built with wn_recout (calls wn_recout_finish). */
void wn_stage_emit_rec(struct wn_stage *st, struct wn_recout *o);
/* Reject a record: counted under `rule`; with --rejects, written with
 * metadata.rejected_by = "<stage>:<rule>". `rec` may be NULL for container
 * stages, which then pass the record to write in `o` (or NULL: count only). */
void wn_stage_reject(struct wn_stage *st, const struct wn_rec *rec, const char *rule);
void wn_stage_reject_rec(struct wn_stage *st, struct wn_recout *o, const char *rule);
/* A malformed record: one warning "winnow-NAME: FILE:WHERE: MSG" on stderr,
 * counted, raw bytes to --bad. With --strict this is fatal. Returns 0 to go
 * on, -1 when the stage must stop (strict). `where` is e.g. "line 12" or
 * "offset 4096". */
int wn_stage_bad(struct wn_stage *st, const char *where, const char *raw, size_t rawlen, const char *fmt, ...)
	WN_PRINTF(5, 6);
/* Record sizes for the length histograms of --stats (stages whose records
 * are not JSONL lines, e.g. token counts, call these themselves). */
void wn_stage_hist_in(struct wn_stage *st, uint64_t size);
void wn_stage_hist_out(struct wn_stage *st, uint64_t size);
/* Container stages: count one record read (docs_in) and its bytes. */
void wn_stage_count_in(struct wn_stage *st, uint64_t bytes);
/* Count a reason without a record (e.g. "repaired-chunked" in stats). */
void wn_stage_reason(struct wn_stage *st, const char *reason, uint64_t n);
/* Extra stats members ("key": value) for --stats. */
void wn_stage_stat_int(struct wn_stage *st, const char *key, int64_t v);
void wn_stage_stat_raw(struct wn_stage *st, const char *key, const char *rawjson);
/* Print a message "winnow-NAME: ..." on stderr. */
void wn_stage_warn(struct wn_stage *st, const char *fmt, ...) WN_PRINTF(2, 3);
/* Fatal error: print, remember, return -1 (finish returns 1). */
int wn_stage_fail(struct wn_stage *st, const char *fmt, ...) WN_PRINTF(2, 3);
/* Update the progress line (rate-limited; cheap to call per record). */
void wn_stage_tick(struct wn_stage *st);
/* Name of the input being read (for messages). */
const char *wn_stage_input_name(const struct wn_stage *st);

/* Close outputs (atomically), write --stats, print the last progress line.
 * Returns the exit code: 0, 1 (bad records or fatal error). */
int wn_stage_finish(struct wn_stage *st);

#endif
