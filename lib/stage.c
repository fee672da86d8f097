/* stage.c -- common flags, record loop, accounting; see stage.h. */
#include "stage.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_REJECTS = 0x1000,
	OPT_BAD,
	OPT_STATS,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_STRICT,
	OPT_VERSION,
};

static const struct option common_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "bad", required_argument, NULL, OPT_BAD },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "threads", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
};

static inline unsigned bucket(uint64_t size)
{
	unsigned b = size ? 63u - (unsigned)__builtin_clzll(size) : 0;
	return b < WN_HIST_BUCKETS ? b : WN_HIST_BUCKETS - 1;
}

static void print_help(const struct wn_stage_def *def, FILE *f)
{
	fprintf(f, "usage: winnow-%s %s\n%s\n", def->name, def->usage ? def->usage : "[OPTIONS] [FILE...]",
		def->summary ? def->summary : "");
	if (def->options_help && *def->options_help)
		fprintf(f, "\nOptions:\n%s", def->options_help);
	fprintf(f, "\nCommon options:\n");
	if (def->flags & WN_STAGE_DIR_OUTPUT)
		fprintf(f, "  -o, --output %s\n", def->output_help ? def->output_help : "DIR      output directory");
	else if (!(def->flags & WN_STAGE_NO_OUTPUT))
		fprintf(f, "  -o, --output FILE     output (default stdout; *.gz and *.zst are compressed;\n"
			   "                        written to a temporary name and renamed when complete)\n");
	fprintf(f, "      --rejects FILE    write rejected records there, with metadata.rejected_by\n"
		   "      --bad FILE        write malformed input lines there, raw\n"
		   "      --stats FILE      write counters as one JSON object (docs_in, docs_out, ...)\n"
		   "      --progress        live progress line on stderr (default when stderr is a terminal)\n"
		   "      --no-progress     no progress line\n"
		   "      --strict          a malformed record is fatal (exit 1)\n");
	if (def->has_threads)
		fprintf(f, "  -j, --threads N       worker threads (default 1)\n");
	fprintf(f, "  -h, --help            this help\n"
		   "      --version         version\n"
		   "\nInputs are plain, gzip, bzip2, xz or zstd (detected from content); '-' or none\n"
		   "means stdin. Exit status: 0 ok, 1 bad records or data error, 2 usage.\n");
}

void wn_stage_warn(struct wn_stage *st, const char *fmt, ...)
{
	va_list ap;
	if (st->progress_shown) {
		fputc('\n', stderr);
		st->progress_shown = 0;
	}
	fprintf(stderr, "winnow-%s: ", st->def->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int wn_stage_fail(struct wn_stage *st, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	wn_stage_warn(st, "%s", msg);
	st->fatal = 1;
	return -1;
}

static int usage_error(struct wn_stage *st, const char *msg, const char *arg)
{
	fprintf(stderr, "winnow-%s: %s%s%s\nTry 'winnow-%s --help'.\n", st->def->name, msg, arg ? " " : "",
		arg ? arg : "", st->def->name);
	return WN_EXIT_USAGE;
}

static int open_side_output(struct wn_stage *st, const char *path, struct wn_writer **w)
{
	if (!path)
		return 0;
	*w = wn_writer_open(path, st->err, sizeof st->err);
	if (!*w)
		return wn_stage_fail(st, "%s", st->err);
	return 0;
}

int wn_stage_start(struct wn_stage *st, const struct wn_stage_def *def, void *ctx, int argc, char **argv)
{
	memset(st, 0, sizeof *st);
	st->def = def;
	st->ctx = ctx;
	st->threads = 1;
	st->progress = isatty(2);
	st->total_raw = 0;
	wn_buf_init(&st->extra_stats);
	wn_buf_init(&st->scratch);
	wn_recout_init(&st->rej);
	st->t0 = wn_now();

	/* merge the option tables: common first, then the stage's own */
	size_t nown = 0;
	while (def->longopts && def->longopts[nown].name)
		nown++;
	size_t ncommon = WN_ARRAY_SIZE(common_long);
	struct option *lo = wn_xcalloc(ncommon + nown + 1, sizeof *lo);
	memcpy(lo, common_long, sizeof common_long);
	if (nown)
		memcpy(lo + ncommon, def->longopts, nown * sizeof *lo);
	char shortopts[128];
	snprintf(shortopts, sizeof shortopts, "o:hj:%s", def->shortopts ? def->shortopts : "");

	int c, rc = WN_STAGE_RUN;
	opterr = 0;
	optind = 1;
	while (rc == WN_STAGE_RUN && (c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (def->flags & WN_STAGE_NO_OUTPUT && !(def->flags & WN_STAGE_DIR_OUTPUT))
				rc = usage_error(st, "this stage takes no -o", NULL);
			st->out_path = optarg;
			break;
		case OPT_REJECTS: st->rejects_path = optarg; break;
		case OPT_BAD: st->bad_path = optarg; break;
		case OPT_STATS: st->stats_path = optarg; break;
		case OPT_PROGRESS: st->progress = 1; break;
		case OPT_NO_PROGRESS: st->progress = 0; break;
		case OPT_STRICT: st->strict = 1; break;
		case 'j': {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (!def->has_threads)
				rc = usage_error(st, "this stage does not take -j", NULL);
			else if (*e || v < 1 || v > 1024)
				rc = usage_error(st, "-j needs a number from 1 to 1024, not", optarg);
			else
				st->threads = (int)v;
			break;
		}
		case 'h':
			print_help(def, stdout);
			rc = WN_EXIT_OK;
			break;
		case OPT_VERSION:
			printf("winnow-%s %s (%s)\n", def->name, WN_VERSION, WN_COMMIT);
			rc = WN_EXIT_OK;
			break;
		case '?':
			if (optopt && optopt < 0x1000)
				rc = usage_error(st, "unknown or incomplete option", (char[]){ '-', (char)optopt, 0 });
			else
				rc = usage_error(st, "unknown or incomplete option", argv[optind - 1]);
			break;
		case ':':
			rc = usage_error(st, "option needs a value:", argv[optind - 1]);
			break;
		default:
			if (!def->on_option || def->on_option(st, c, optarg) < 0)
				rc = WN_EXIT_USAGE;
			break;
		}
	}
	free(lo);
	if (rc != WN_STAGE_RUN)
		return rc;
	if (def->flags & WN_STAGE_DIR_OUTPUT && !st->out_path)
		return usage_error(st, "missing -o DIR", NULL);

	static char *dash[] = { "-", NULL };
	if (optind < argc) {
		st->inputs = argv + optind;
		st->ninputs = argc - optind;
	} else {
		st->inputs = dash;
		st->ninputs = 1;
	}
	for (int i = 0; i < st->ninputs; i++) {
		struct stat sb;
		if (strcmp(st->inputs[i], "-") && stat(st->inputs[i], &sb) == 0 && S_ISREG(sb.st_mode))
			st->total_raw += sb.st_size;
		else if (strcmp(st->inputs[i], "-") == 0)
			st->total_raw = -1;
	}
	if (st->total_raw == 0)
		st->total_raw = -1;

	/* A closed stdout shows up as EPIPE from write(), so the stage can stop
	 * quietly and still write its stats. */
	signal(SIGPIPE, SIG_IGN);
	st->cur_input = -1;
	if (!(def->flags & (WN_STAGE_NO_OUTPUT | WN_STAGE_DIR_OUTPUT))) {
		st->out = wn_writer_open(st->out_path, st->err, sizeof st->err);
		if (!st->out) {
			wn_stage_warn(st, "%s", st->err);
			return WN_EXIT_DATA;
		}
	}
	if (open_side_output(st, st->rejects_path, &st->rejects) < 0 ||
	    open_side_output(st, st->bad_path, &st->bad) < 0) {
		wn_writer_abort(st->out);
		wn_writer_abort(st->rejects);
		st->out = st->rejects = NULL;
		return WN_EXIT_DATA;
	}
	return WN_STAGE_RUN;
}

const char *wn_stage_input_name(const struct wn_stage *st)
{
	if (st->in)
		return wn_reader_name(st->in);
	if (st->cur_input >= 0 && st->cur_input < st->ninputs)
		return st->inputs[st->cur_input];
	return "(none)";
}

static void side_write(struct wn_stage *st, struct wn_writer **w, const char *p, size_t n, const char *what)
{
	if (!*w)
		return;
	if (wn_writer_write(*w, p, n) < 0) {
		wn_stage_fail(st, "%s: %s", what, wn_writer_error(*w));
		wn_writer_abort(*w);
		*w = NULL;
	}
}

int wn_stage_bad(struct wn_stage *st, const char *where, const char *raw, size_t rawlen, const char *fmt, ...)
{
	va_list ap;
	char msg[768];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	st->docs_bad++;
	wn_stage_warn(st, "%s:%s: %s", wn_stage_input_name(st), where, msg);
	if (st->bad && raw) {
		side_write(st, &st->bad, raw, rawlen, "--bad");
		if (!rawlen || raw[rawlen - 1] != '\n')
			side_write(st, &st->bad, "\n", 1, "--bad");
	}
	if (st->strict) {
		st->fatal = 1;
		wn_stage_warn(st, "stopping: --strict");
		return -1;
	}
	return 0;
}

static void close_input(struct wn_stage *st)
{
	if (!st->in)
		return;
	st->done_raw += wn_reader_raw_pos(st->in);
	wn_reader_free(st->in);
	st->in = NULL;
}

/* Open the next input; returns 1 when one is open, 0 when none is left. */
static int next_input(struct wn_stage *st)
{
	close_input(st);
	while (++st->cur_input < st->ninputs) {
		st->in = wn_reader_open(st->inputs[st->cur_input], st->err, sizeof st->err);
		st->cur_line = 0;
		if (st->in)
			return 1;
		wn_stage_warn(st, "%s", st->err);
		st->input_errors++;
		if (st->strict) {
			st->fatal = 1;
			return 0;
		}
	}
	return 0;
}

int wn_stage_next(struct wn_stage *st, struct wn_rec *rec)
{
	if (st->def->flags & WN_STAGE_RAW_INPUT)
		BUG("wn_stage_next on a raw-input stage");
	for (;;) {
		if (st->fatal || st->pipe_closed)
			return st->fatal ? -1 : 0;
		if (!st->in && !next_input(st))
			return st->fatal ? -1 : 0;
		const char *line;
		size_t len;
		int r = wn_reader_getline(st->in, &line, &len);
		if (r == 0) {
			close_input(st);
			continue;
		}
		if (r < 0) {
			wn_stage_warn(st, "%s after line %" PRIu64, wn_reader_error(st->in), st->cur_line);
			st->input_errors++;
			close_input(st);
			if (st->strict) {
				st->fatal = 1;
				return -1;
			}
			continue;
		}
		st->cur_line++;
		if (st->progress && (st->cur_line & 255) == 0)
			wn_stage_tick(st);
		/* blank lines separate nothing and carry nothing: skipped, not counted */
		size_t k = 0;
		while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == len)
			continue;
		st->docs_in++;
		st->bytes_in += len + 1;
		st->hist_in[bucket(len + 1)]++;
		if (wn_rec_parse(rec, line, len, st->err, sizeof st->err) < 0) {
			char where[48];
			snprintf(where, sizeof where, "line %" PRIu64, st->cur_line);
			char msg[sizeof st->err];
			memcpy(msg, st->err, sizeof msg);
			if (wn_stage_bad(st, where, line, len, "%s", msg) < 0)
				return -1;
			continue;
		}
		return 1;
	}
}

static void out_write(struct wn_stage *st, const char *p, size_t n)
{
	if (!st->out || st->pipe_closed)
		return;
	if (wn_writer_write(st->out, p, n) < 0) {
		if (errno == EPIPE) {
			st->pipe_closed = 1;
			return;
		}
		wn_stage_fail(st, "%s", wn_writer_error(st->out));
	}
}

void wn_stage_count_out(struct wn_stage *st, uint64_t bytes)
{
	st->docs_out++;
	st->bytes_out += bytes;
	st->hist_out[bucket(bytes)]++;
}

void wn_stage_emit(struct wn_stage *st, const char *line, size_t len)
{
	wn_stage_count_out(st, len);
	out_write(st, line, len);
}

void wn_stage_emit_rec(struct wn_stage *st, struct wn_recout *o)
{
	wn_recout_finish(o);
	wn_stage_emit(st, o->line.data, o->line.len);
}

void wn_stage_reason(struct wn_stage *st, const char *reason, uint64_t n)
{
	for (size_t i = 0; i < st->nreasons; i++)
		if (!strcmp(st->reasons[i].name, reason)) {
			st->reasons[i].count += n;
			return;
		}
	WN_GROW(st->reasons, st->reasonscap, st->nreasons + 1);
	st->reasons[st->nreasons].name = wn_xstrdup(reason);
	st->reasons[st->nreasons].count = n;
	st->nreasons++;
}

static void rejected_by(struct wn_stage *st, struct wn_recout *o, const char *rule)
{
	wn_buf_reset(&st->scratch);
	wn_buf_addf(&st->scratch, "%s:%s", st->def->name, rule);
	wn_recout_meta_str(o, "rejected_by", st->scratch.data, st->scratch.len);
}

void wn_stage_reject(struct wn_stage *st, const struct wn_rec *rec, const char *rule)
{
	st->docs_rejected++;
	wn_stage_reason(st, rule, 1);
	if (!st->rejects || !rec)
		return;
	wn_recout_begin(&st->rej, rec);
	rejected_by(st, &st->rej, rule);
	wn_recout_finish(&st->rej);
	side_write(st, &st->rejects, st->rej.line.data, st->rej.line.len, "--rejects");
}

void wn_stage_reject_rec(struct wn_stage *st, struct wn_recout *o, const char *rule)
{
	st->docs_rejected++;
	wn_stage_reason(st, rule, 1);
	if (!st->rejects || !o)
		return;
	rejected_by(st, o, rule);
	wn_recout_finish(o);
	side_write(st, &st->rejects, o->line.data, o->line.len, "--rejects");
}

void wn_stage_hist_in(struct wn_stage *st, uint64_t size)
{
	st->hist_in[bucket(size)]++;
}

void wn_stage_hist_out(struct wn_stage *st, uint64_t size)
{
	st->hist_out[bucket(size)]++;
}

void wn_stage_count_in(struct wn_stage *st, uint64_t bytes)
{
	st->hist_in[bucket(bytes)]++;
	st->docs_in++;
	st->bytes_in += bytes;
	if (st->progress && (st->docs_in & 63) == 0)
		wn_stage_tick(st);
}

static void stat_member(struct wn_stage *st, const char *key)
{
	if (st->extra_stats.len)
		wn_buf_addc(&st->extra_stats, ',');
	wn_json_str_encode(&st->extra_stats, key, strlen(key));
	wn_buf_addc(&st->extra_stats, ':');
}

void wn_stage_stat_int(struct wn_stage *st, const char *key, int64_t v)
{
	stat_member(st, key);
	wn_buf_addf(&st->extra_stats, "%" PRId64, v);
}

void wn_stage_stat_raw(struct wn_stage *st, const char *key, const char *rawjson)
{
	stat_member(st, key);
	wn_buf_adds(&st->extra_stats, rawjson);
}

static void fmt_eta(char *b, size_t n, double s)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress_line(struct wn_stage *st, int final)
{
	double el = wn_now() - st->t0;
	if (el <= 0)
		el = 1e-9;
	uint64_t raw = st->done_raw + (st->in ? wn_reader_raw_pos(st->in) : 0);
	char tail[96] = "";
	if (st->total_raw > 0 && !final) {
		double frac = (double)raw / (double)st->total_raw;
		if (frac > 1)
			frac = 1;
		char eta[32] = "?";
		if (frac > 0.001)
			fmt_eta(eta, sizeof eta, el / frac - el);
		snprintf(tail, sizeof tail, " %5.1f%% ETA %s", 100 * frac, eta);
	}
	fprintf(stderr, "\rwinnow-%s: %" PRIu64 " docs in, %" PRIu64 " out, %.0f docs/s, %.1f MB/s%s   ",
		st->def->name, st->docs_in, st->docs_out, st->docs_in / el, st->bytes_in / el / 1e6, tail);
	st->progress_shown = 1;
	if (final) {
		fputc('\n', stderr);
		st->progress_shown = 0;
	}
}

void wn_stage_tick(struct wn_stage *st)
{
	if (!st->progress)
		return;
	double now = wn_now();
	if (now - st->last_progress < 0.5)
		return;
	st->last_progress = now;
	progress_line(st, 0);
}

static int write_stats(struct wn_stage *st)
{
	struct wn_buf b = WN_BUF_INIT;
	wn_buf_addf(&b,
		    "{\"stage\":\"%s\",\"docs_in\":%" PRIu64 ",\"docs_out\":%" PRIu64 ",\"docs_rejected\":%" PRIu64
		    ",\"docs_bad\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"reasons\":{",
		    st->def->name, st->docs_in, st->docs_out, st->docs_rejected, st->docs_bad, st->bytes_in,
		    st->bytes_out);
	for (size_t i = 0; i < st->nreasons; i++) {
		if (i)
			wn_buf_addc(&b, ',');
		wn_json_str_encode(&b, st->reasons[i].name, strlen(st->reasons[i].name));
		wn_buf_addf(&b, ":%" PRIu64, st->reasons[i].count);
	}
	wn_buf_addf(&b, "},\"input_errors\":%" PRIu64 ",\"fatal\":%s,\"seconds\":%.3f", st->input_errors,
		    st->fatal ? "true" : "false", wn_now() - st->t0);
	const uint64_t *h[2] = { st->hist_in, st->hist_out };
	for (int k = 0; k < 2; k++) {
		int last = WN_HIST_BUCKETS - 1;
		while (last > 0 && !h[k][last])
			last--;
		wn_buf_adds(&b, k ? ",\"hist_bytes_out\":[" : ",\"hist_bytes_in\":[");
		for (int i = 0; i <= last; i++)
			wn_buf_addf(&b, "%s%" PRIu64, i ? "," : "", h[k][i]);
		wn_buf_addc(&b, ']');
	}
	if (st->extra_stats.len) {
		wn_buf_addc(&b, ',');
		wn_buf_add(&b, st->extra_stats.data, st->extra_stats.len);
	}
	wn_buf_adds(&b, "}\n");
	int rc = wn_write_file_atomic(st->stats_path, b.data, b.len, st->err, sizeof st->err);
	wn_buf_release(&b);
	if (rc < 0)
		return wn_stage_fail(st, "--stats: %s", st->err);
	return 0;
}

static void commit_side(struct wn_stage *st, struct wn_writer **w, int keep)
{
	if (!*w)
		return;
	if (!keep) {
		wn_writer_abort(*w);
	} else if (wn_writer_commit(*w, st->err, sizeof st->err) < 0) {
		if (!(errno == EPIPE && *w == st->out))
			wn_stage_fail(st, "%s", st->err);
	}
	*w = NULL;
}

int wn_stage_finish(struct wn_stage *st)
{
	close_input(st);
	if (st->progress)
		progress_line(st, 1);
	/* A fatal error leaves no output file that looks whole; a stage that
	 * merely skipped bad records delivers what it has (exit 1). */
	int keep = !st->fatal;
	if (st->out && st->pipe_closed) {
		wn_writer_abort(st->out); /* stdout: nothing to remove */
		st->out = NULL;
	}
	commit_side(st, &st->out, keep);
	commit_side(st, &st->rejects, 1);
	commit_side(st, &st->bad, 1);
	if (st->stats_path)
		write_stats(st);
	uint64_t accounted = st->docs_out + st->docs_rejected + st->docs_bad;
	if (!st->fatal && !st->pipe_closed && accounted != st->docs_in)
		BUG("winnow-%s: accounting: docs_in %" PRIu64 " != out %" PRIu64 " + rejected %" PRIu64
		    " + bad %" PRIu64,
		    st->def->name, st->docs_in, st->docs_out, st->docs_rejected, st->docs_bad);
	for (size_t i = 0; i < st->nreasons; i++)
		free(st->reasons[i].name);
	free(st->reasons);
	wn_buf_release(&st->extra_stats);
	wn_buf_release(&st->scratch);
	wn_recout_release(&st->rej);
	if (st->fatal || st->docs_bad || st->input_errors)
		return WN_EXIT_DATA;
	return WN_EXIT_OK;
}
