/*
 * report.h -- the run report: read a winnow-run work directory (run.json,
 * STEP/NNNNN.done.json completion markers with every stage's --stats, failed
 * attempts, the tokenizer's meta.json and the packer's manifest.json), add
 * the numbers up per step and stage, and render them as one self-contained
 * HTML page (inline CSS and SVG; no script, no network) or as JSON.
 *
 * What is read (the contract with winnow-run, docs/report.md):
 *   WORK/run.json            {"name","yaml"|"pipeline","started"|"start","ended"|"end",
 *                             "executor","status",
 *                             "steps":[{"name","barrier","tasks","done","failed"}]}
 *   WORK/STEP/N.done.json    {"task","output","seconds","attempt",
 *                             "stages":[{"argv":[...],"exit":0,"stats":{...}}]}
 *   WORK/STEP/N.failed.json  a failed attempt (exit codes, log path)
 * Everything is read defensively: a member that is missing or of the wrong
 * type counts as absent, a file that cannot be parsed becomes a warning on
 * the page (and in wn_report.warnings), never a crash.
 *
 * Ownership: wn_report_load() returns a report that owns every string and
 * array in it; wn_report_free() releases it (NULL is a no-op). The render
 * functions append to a caller's buffer and keep nothing.
 */
#ifndef WN_REPORT_H
#define WN_REPORT_H

#include "buf.h"

#define WN_REP_HIST 64 /* log2 buckets kept (stage.h writes 40) */
#define WN_REP_SLOW 5  /* slowest tasks kept per step */

/* A small string -> count map (reasons, languages, cluster sizes); kept in
 * first-seen order, sorted only for display. */
struct wn_rep_kv {
	char *key;
	uint64_t n;
};
struct wn_rep_map {
	struct wn_rep_kv *v;
	size_t n, cap;
};

/* One stage of a step's chain, summed over the step's completed tasks. */
struct wn_rep_stage {
	char *name;     /* stats "stage", else argv[0] without "winnow-" */
	int index;      /* position in the step's chain, from 0 */
	uint64_t tasks; /* tasks whose stats were read */
	uint64_t docs_in, docs_out, docs_rejected, docs_bad, bytes_in, bytes_out, input_errors;
	double seconds;
	int has_tokens, has_text_bytes, has_vocab, has_langs, has_clusters;
	uint64_t tokens;     /* "tokens_out" or "tokens" */
	uint64_t text_bytes; /* "text_bytes" or "text_bytes_in": UTF-8 text that was tokenized */
	uint64_t vocab_size; /* largest "vocab_size" seen */
	uint64_t hist_in[WN_REP_HIST], hist_out[WN_REP_HIST];
	int nhist_in, nhist_out; /* buckets used (highest non-empty + 1) */
	struct wn_rep_map reasons, langs, clusters;
};

struct wn_rep_step {
	char *name;
	int barrier;
	long tasks, done, failed; /* from run.json; -1 when unknown */
	uint64_t done_files, failed_files;
	double seconds, seconds_max; /* sum and max of the tasks' "seconds" */
	/* wall time of the step: from the earliest task start (its "finished"
	 * time minus its "seconds") to the latest "finished"; -1 when the
	 * markers carry no "finished" time */
	double first_start, last_finish;
	/* the slowest completed tasks, slowest first (stragglers) */
	struct wn_rep_task {
		long task;
		double seconds;
		char *input;
	} slow[WN_REP_SLOW];
	int nslow;
	struct wn_rep_stage *stages;
	size_t nstages, capstages;
};

/* A failed attempt (one .failed.json file). */
struct wn_rep_fail {
	char *step, *file, *log, *exits, *error;
	long task, attempt;
	int recovered; /* the task has a .done.json: a later attempt succeeded */
};

/* A JSON side file found through a step's outputs (tokenizer.meta.json,
 * manifest.json); `json` is a jansson json_t * (void * keeps jansson out of
 * this header). */
struct wn_rep_side {
	char *step, *path;
	void *json;
};

struct wn_report {
	char *workdir;
	int has_run; /* run.json was read */
	char *name, *yaml, *started, *ended, *executor, *status;
	double started_t, ended_t; /* seconds since the epoch when given as numbers or ISO 8601; -1 otherwise */
	struct wn_rep_step *steps;
	size_t nsteps, capsteps;
	struct wn_rep_fail *fails;
	size_t nfails, capfails;
	struct wn_rep_side *tokenizers, *packs;
	size_t ntokenizers, npacks, captok, cappack;
	char **warnings;
	size_t nwarnings, capwarnings;
};

/* Read and aggregate a work directory. Returns NULL (err filled) only when
 * the directory itself cannot be read; unreadable files inside it become
 * warnings. */
struct wn_report *wn_report_load(const char *workdir, char *err, size_t errlen);
void wn_report_free(struct wn_report *r);

/* The aggregated numbers as one JSON document (docs/report.md). */
void wn_report_json(const struct wn_report *r, struct wn_buf *out);
/* The HTML page. Every string taken from the files is escaped. */
void wn_report_html(const struct wn_report *r, struct wn_buf *out);

/* Helpers, exported for the unit tests. */
void wn_rep_map_add(struct wn_rep_map *m, const char *key, uint64_t n);
uint64_t wn_rep_map_get(const struct wn_rep_map *m, const char *key);
void wn_rep_map_release(struct wn_rep_map *m);
/* Append s[0..n) escaped for HTML text and attribute values (& < > " '). */
void wn_html_escape(struct wn_buf *b, const char *s, size_t n);
/* "1,234,567" */
void wn_rep_fmt_int(struct wn_buf *b, uint64_t v);
/* "0 B", "512 B", "1.5 KiB", "12.3 MiB", ... */
void wn_rep_fmt_bytes(struct wn_buf *b, double v);
/* Parse "2026-11-29T04:28:36Z" (or with +hh:mm, or a space for T) into
 * epoch seconds; -1 when not that shape. */
double wn_rep_parse_time(const char *s);

#endif
