/*
 * report.c -- read a winnow-run work directory and add its numbers up
 * (see report.h for the files and the ownership rules). The HTML page is
 * drawn in report_html.c; this file also writes the --json dump.
 *
 * The files are small (one marker per task), so jansson loads each whole.
 * Every member is looked up defensively: the runner and the stages are
 * written by other people and grow new members, so a missing member or one
 * of an unexpected type is "absent", not an error.
 */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers -------------------------------------------------------- */

static void warn(struct wn_report *r, const char *fmt, ...) WN_PRINTF(2, 3);
static void warn(struct wn_report *r, const char *fmt, ...)
{
	struct wn_buf b = WN_BUF_INIT;
	va_list ap;
	char tmp[1024];
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	wn_buf_adds(&b, tmp);
	WN_GROW(r->warnings, r->capwarnings, r->nwarnings + 1);
	r->warnings[r->nwarnings++] = wn_buf_detach(&b, NULL);
}

void wn_rep_map_add(struct wn_rep_map *m, const char *key, uint64_t n)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].key, key)) {
			m->v[i].n += n;
			return;
		}
	WN_GROW(m->v, m->cap, m->n + 1);
	m->v[m->n].key = wn_xstrdup(key);
	m->v[m->n].n = n;
	m->n++;
}

uint64_t wn_rep_map_get(const struct wn_rep_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].key, key))
			return m->v[i].n;
	return 0;
}

void wn_rep_map_release(struct wn_rep_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].key);
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

/* A non-negative integer member (reals are rounded: some writers print
 * counts as 12.0). Returns 1 when present. */
static int get_u64(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(o, key);
	if (json_is_integer(j) && json_integer_value(j) >= 0) {
		*v = (uint64_t)json_integer_value(j);
		return 1;
	}
	if (json_is_real(j) && json_real_value(j) >= 0 && json_real_value(j) < 1.8e19) {
		*v = (uint64_t)(json_real_value(j) + 0.5);
		return 1;
	}
	return 0;
}

static int get_num(const json_t *o, const char *key, double *v)
{
	const json_t *j = json_object_get(o, key);
	if (!json_is_number(j))
		return 0;
	*v = json_number_value(j);
	return 1;
}

/* A scalar member as text (strings as they are, numbers printed); NULL when absent. */
static char *get_text(const json_t *o, const char *key)
{
	const json_t *j = json_object_get(o, key);
	char tmp[64];
	if (json_is_string(j))
		return wn_xstrdup(json_string_value(j));
	if (json_is_integer(j)) {
		snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return wn_xstrdup(tmp);
	}
	if (json_is_real(j)) {
		snprintf(tmp, sizeof tmp, "%.3f", json_real_value(j));
		return wn_xstrdup(tmp);
	}
	return NULL;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

double wn_rep_parse_time(const char *s)
{
	int Y, M, D, h, m;
	double sec;
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%lf%n", &Y, &M, &D, &h, &m, &sec, &n) != 6)
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec < 0 || sec >= 61 || Y < 1970)
		return -1;
	double off = 0;
	const char *z = s + n;
	if (*z == '+' || *z == '-') {
		int oh = 0, om = 0;
		if (sscanf(z + 1, "%2d:%2d", &oh, &om) < 1)
			return -1;
		off = (oh * 3600 + om * 60) * (*z == '+' ? 1 : -1);
	} else if (*z != 'Z' && *z != '\0') {
		return -1;
	}
	/* days from the epoch, computed by hand: timegm() is not C11/POSIX */
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long days = 0;
	for (int y = 1970; y < Y; y++)
		days += is_leap(y) ? 366 : 365;
	for (int i = 0; i < M - 1; i++)
		days += mdays[i] + (i == 1 && is_leap(Y));
	days += D - 1;
	return (double)days * 86400 + h * 3600 + m * 60 + sec - off;
}

static double time_of(const json_t *o, const char *key)
{
	const json_t *j = json_object_get(o, key);
	if (json_is_number(j))
		return json_number_value(j);
	if (json_is_string(j))
		return wn_rep_parse_time(json_string_value(j));
	return -1;
}

/* Step and file names become path components: refuse anything that could
 * leave the work directory. */
static int safe_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static char *path2(const char *a, const char *b)
{
	struct wn_buf p = WN_BUF_INIT;
	wn_buf_addf(&p, "%s/%s", a, b);
	return wn_buf_detach(&p, NULL);
}

static int is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir ending in suffix, sorted (NULL-terminated; caller frees). */
static char **list_dir(const char *dir, const char *suffix, size_t *count)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || (suffix && !ends_with(e->d_name, suffix)))
				continue;
			WN_GROW(v, cap, n + 2);
			v[n++] = wn_xstrdup(e->d_name);
		}
		closedir(d);
	}
	WN_GROW(v, cap, n + 1);
	v[n] = NULL;
	qsort(v, n, sizeof *v, cmp_str);
	*count = n;
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Whole file into memory, then jansson: json_load_file() reads with getc(),
 * which was a third of the time on 10,000 markers. */
static json_t *load_json(struct wn_report *r, const char *path, int quiet_missing)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!(quiet_missing && errno == ENOENT))
			warn(r, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct wn_buf b = WN_BUF_INIT;
	for (;;) {
		wn_buf_grow(&b, 65536);
		ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn(r, "%s: %s", path, strerror(errno));
			close(fd);
			wn_buf_release(&b);
			return NULL;
		}
		if (n == 0)
			break;
		wn_buf_setlen(&b, b.len + (size_t)n);
	}
	close(fd);
	json_error_t je;
	json_t *j = json_loadb(b.data, b.len, 0, &je);
	wn_buf_release(&b);
	if (!j) {
		warn(r, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		warn(r, "%s: not a JSON object", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- aggregation ------------------------------------------------------------ */

static struct wn_rep_step *add_step(struct wn_report *r, const char *name)
{
	WN_GROW(r->steps, r->capsteps, r->nsteps + 1);
	struct wn_rep_step *s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof *s);
	s->name = wn_xstrdup(name);
	s->tasks = s->done = s->failed = -1;
	s->first_start = s->last_finish = -1;
	return s;
}

static struct wn_rep_stage *stage_of(struct wn_rep_step *s, int index, const char *name)
{
	for (size_t i = 0; i < s->nstages; i++)
		if (s->stages[i].index == index && !strcmp(s->stages[i].name, name))
			return &s->stages[i];
	WN_GROW(s->stages, s->capstages, s->nstages + 1);
	struct wn_rep_stage *g = &s->stages[s->nstages++];
	memset(g, 0, sizeof *g);
	g->name = wn_xstrdup(name);
	g->index = index;
	return g;
}

static int add_hist(uint64_t *h, int *used, const json_t *a)
{
	if (!json_is_array(a))
		return 0;
	size_t n = json_array_size(a);
	for (size_t i = 0; i < n && i < WN_REP_HIST; i++) {
		const json_t *e = json_array_get(a, i);
		if (json_is_integer(e) && json_integer_value(e) > 0) {
			h[i] += (uint64_t)json_integer_value(e);
			if ((int)i + 1 > *used)
				*used = (int)i + 1;
		}
	}
	return 1;
}

/* {key: count} objects; also [count, ...] arrays indexed by key (cluster
 * sizes may come that way). Returns 1 when the member is present. */
static int add_map(struct wn_rep_map *m, const json_t *o)
{
	const char *k;
	const json_t *v;
	if (json_is_object(o)) {
		json_object_foreach((json_t *)o, k, v) {
			if (json_is_integer(v) && json_integer_value(v) >= 0)
				wn_rep_map_add(m, k, (uint64_t)json_integer_value(v));
		}
		return 1;
	}
	if (json_is_array(o)) {
		size_t n = json_array_size(o);
		for (size_t i = 0; i < n; i++) {
			v = json_array_get(o, i);
			if (json_is_integer(v) && json_integer_value(v) > 0) {
				char key[32];
				snprintf(key, sizeof key, "%zu", i);
				wn_rep_map_add(m, key, (uint64_t)json_integer_value(v));
			}
		}
		return 1;
	}
	return 0;
}

static const json_t *first_of(const json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const json_t *j = json_object_get(o, *keys);
		if (j)
			return j;
	}
	return NULL;
}

static void add_stats(struct wn_rep_stage *g, const json_t *st)
{
	static const char *const tok_keys[] = { "tokens_out", "tokens", NULL };
	static const char *const text_keys[] = { "text_bytes", "text_bytes_in", NULL };
	static const char *const lang_keys[] = { "langs", "languages", "lang_counts", NULL };
	static const char *const clu_keys[] = { "cluster_sizes", "dup_cluster_sizes", "clusters", NULL };
	uint64_t v;
	double d;
	g->tasks++;
	if (get_u64(st, "docs_in", &v)) g->docs_in += v;
	if (get_u64(st, "docs_out", &v)) g->docs_out += v;
	if (get_u64(st, "docs_rejected", &v)) g->docs_rejected += v;
	if (get_u64(st, "docs_bad", &v)) g->docs_bad += v;
	if (get_u64(st, "bytes_in", &v)) g->bytes_in += v;
	if (get_u64(st, "bytes_out", &v)) g->bytes_out += v;
	if (get_u64(st, "input_errors", &v)) g->input_errors += v;
	if (get_num(st, "seconds", &d) && d >= 0) g->seconds += d;
	for (const char *const *k = tok_keys; *k; k++)
		if (get_u64(st, *k, &v)) {
			g->tokens += v, g->has_tokens = 1;
			break;
		}
	for (const char *const *k = text_keys; *k; k++)
		if (get_u64(st, *k, &v)) {
			g->text_bytes += v, g->has_text_bytes = 1;
			break;
		}
	if (get_u64(st, "vocab_size", &v)) {
		g->has_vocab = 1;
		if (v > g->vocab_size)
			g->vocab_size = v;
	}
	add_map(&g->reasons, json_object_get(st, "reasons"));
	if (add_map(&g->langs, first_of(st, lang_keys)))
		g->has_langs = 1;
	if (add_map(&g->clusters, first_of(st, clu_keys)))
		g->has_clusters = 1;
	add_hist(g->hist_in, &g->nhist_in, json_object_get(st, "hist_bytes_in"));
	add_hist(g->hist_out, &g->nhist_out, json_object_get(st, "hist_bytes_out"));
}

static char *stage_name(const json_t *stage, const json_t *stats)
{
	const json_t *n = json_object_get(stats, "stage");
	if (json_is_string(n) && *json_string_value(n))
		return wn_xstrdup(json_string_value(n));
	const json_t *argv = json_object_get(stage, "argv");
	const json_t *a0 = json_array_get(argv, 0);
	if (json_is_string(a0)) {
		const char *s = json_string_value(a0), *slash = strrchr(s, '/');
		if (slash)
			s = slash + 1;
		if (!strncmp(s, "winnow-", 7) && s[7])
			s += 7;
		return wn_xstrdup(s);
	}
	return wn_xstrdup(json_is_string(n) ? "?" : "unknown");
}

/* Does `dir` (or the directory of file `p`) hold `name`? Returns its path. */
static char *side_file(const char *workdir, const char *out, const char *name)
{
	const char *bases[2] = { out, NULL };
	char *rel = NULL;
	if (out[0] != '/')
		bases[1] = rel = path2(workdir, out);
	char *found = NULL;
	for (int i = 0; i < 2 && !found && bases[i]; i++) {
		const char *b = bases[i];
		if (ends_with(b, name) && is_file(b)) {
			found = wn_xstrdup(b);
		} else if (is_dir(b)) {
			char *p = path2(b, name);
			if (is_file(p))
				found = p;
			else
				free(p);
		}
	}
	free(rel);
	return found;
}

static int have_side(struct wn_rep_side *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path))
			return 1;
	return 0;
}

static void look_for_sides(struct wn_report *r, const char *step, const char *out)
{
	char *p = side_file(r->workdir, out, "tokenizer.meta.json");
	if (p && !have_side(r->tokenizers, r->ntokenizers, p)) {
		json_t *j = load_json(r, p, 0);
		if (j) {
			WN_GROW(r->tokenizers, r->captok, r->ntokenizers + 1);
			r->tokenizers[r->ntokenizers++] = (struct wn_rep_side){ wn_xstrdup(step), p, j };
			p = NULL;
		}
	}
	free(p);
	p = side_file(r->workdir, out, "manifest.json");
	if (p && !have_side(r->packs, r->npacks, p)) {
		json_t *j = load_json(r, p, 0);
		if (j) {
			WN_GROW(r->packs, r->cappack, r->npacks + 1);
			r->packs[r->npacks++] = (struct wn_rep_side){ wn_xstrdup(step), p, j };
			p = NULL;
		}
	}
	free(p);
}

static long task_of_file(const char *fname);

static void read_done(struct wn_report *r, struct wn_rep_step *s, const char *path)
{
	json_t *j = load_json(r, path, 0);
	if (!j)
		return;
	s->done_files++;
	double d;
	if (get_num(j, "seconds", &d) && d >= 0) {
		s->seconds += d;
		if (d > s->seconds_max)
			s->seconds_max = d;
	} else {
		d = 0;
	}
	/* keep the WN_REP_SLOW slowest, by insertion (the list is tiny) */
	if (s->nslow < WN_REP_SLOW || d > s->slow[s->nslow - 1].seconds) {
		int k = s->nslow < WN_REP_SLOW ? s->nslow++ : WN_REP_SLOW - 1;
		free(s->slow[k].input);
		while (k > 0 && s->slow[k - 1].seconds < d) {
			s->slow[k] = s->slow[k - 1];
			k--;
		}
		uint64_t tv;
		s->slow[k].task = get_u64(j, "task", &tv) ? (long)tv : task_of_file(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		s->slow[k].seconds = d;
		s->slow[k].input = get_text(j, "input");
	}
	double fin = time_of(j, "finished");
	if (fin >= 0) {
		if (s->first_start < 0 || fin - d < s->first_start)
			s->first_start = fin - d;
		if (fin > s->last_finish)
			s->last_finish = fin;
	}
	const json_t *stages = json_object_get(j, "stages");
	size_t i;
	const json_t *e;
	json_array_foreach((json_t *)stages, i, e) {
		const json_t *st = json_object_get(e, "stats");
		char *name = stage_name(e, st);
		struct wn_rep_stage *g = stage_of(s, (int)i, name);
		free(name);
		if (json_is_object(st))
			add_stats(g, st);
	}
	const json_t *out = json_object_get(j, "output");
	if (json_is_string(out) && *json_string_value(out))
		look_for_sides(r, s->name, json_string_value(out));
	json_decref(j);
}

static long task_of_file(const char *fname)
{
	char *end;
	long t = strtol(fname, &end, 10);
	return end == fname ? -1 : t;
}

static void read_failed(struct wn_report *r, struct wn_rep_step *s, const char *dir, const char *fname)
{
	char *path = path2(dir, fname);
	json_t *j = load_json(r, path, 0);
	s->failed_files++;
	WN_GROW(r->fails, r->capfails, r->nfails + 1);
	struct wn_rep_fail *f = &r->fails[r->nfails++];
	memset(f, 0, sizeof *f);
	f->step = wn_xstrdup(s->name);
	f->file = path;
	f->task = task_of_file(fname);
	f->attempt = -1;
	if (!j)
		return;
	uint64_t v;
	if (get_u64(j, "task", &v))
		f->task = (long)v;
	if (get_u64(j, "attempt", &v))
		f->attempt = (long)v;
	static const char *const log_keys[] = { "log", "log_path", "stderr", "logfile", NULL };
	static const char *const err_keys[] = { "error", "message", "reason", NULL };
	for (const char *const *k = log_keys; *k && !f->log; k++)
		f->log = get_text(j, *k);
	for (const char *const *k = err_keys; *k && !f->error; k++)
		f->error = get_text(j, *k);
	/* exit codes: per stage ("stages":[{"argv","exit"}]), "exits":[...] or one "exit" */
	struct wn_buf ex = WN_BUF_INIT;
	const json_t *stages = json_object_get(j, "stages"), *e;
	size_t i;
	json_array_foreach((json_t *)stages, i, e) {
		const json_t *argv0 = json_array_get(json_object_get(e, "argv"), 0);
		char *code = get_text(e, "exit");
		char *sig = get_text(e, "signal");
		const char *nm = json_is_string(argv0) ? json_string_value(argv0) : "?";
		const char *slash = strrchr(nm, '/');
		if (sig)
			wn_buf_addf(&ex, "%s%s=signal %s", ex.len ? ", " : "", slash ? slash + 1 : nm, sig);
		else
			wn_buf_addf(&ex, "%s%s=%s", ex.len ? ", " : "", slash ? slash + 1 : nm, code ? code : "?");
		free(code);
		free(sig);
	}
	const json_t *exits = json_object_get(j, "exits");
	json_array_foreach((json_t *)exits, i, e) {
		if (json_is_integer(e))
			wn_buf_addf(&ex, "%s%" JSON_INTEGER_FORMAT, ex.len ? ", " : "", json_integer_value(e));
	}
	char *one = get_text(j, "exit");
	if (one) {
		wn_buf_addf(&ex, "%sexit %s", ex.len ? ", " : "", one);
		free(one);
	}
	f->exits = ex.len ? wn_buf_detach(&ex, NULL) : NULL;
	wn_buf_release(&ex);
	json_decref(j);
}

static void read_step_dir(struct wn_report *r, struct wn_rep_step *s)
{
	char *dir = path2(r->workdir, s->name);
	size_t n;
	char **done = list_dir(dir, ".done.json", &n);
	for (size_t i = 0; i < n; i++) {
		char *p = path2(dir, done[i]);
		read_done(r, s, p);
		free(p);
	}
	char **failed = list_dir(dir, ".failed.json", &n);
	for (size_t i = 0; i < n; i++) {
		read_failed(r, s, dir, failed[i]);
		struct wn_rep_fail *f = &r->fails[r->nfails - 1];
		for (size_t k = 0; done[k]; k++)
			if (f->task >= 0 && task_of_file(done[k]) == f->task)
				f->recovered = 1;
	}
	free_list(done);
	free_list(failed);
	free(dir);
}

/* Without run.json: every subdirectory holding markers is a step, by name. */
static void discover_steps(struct wn_report *r)
{
	size_t n;
	char **names = list_dir(r->workdir, NULL, &n);
	for (size_t i = 0; i < n; i++) {
		char *dir = path2(r->workdir, names[i]);
		size_t nd, nf;
		if (is_dir(dir)) {
			char **d = list_dir(dir, ".done.json", &nd), **f = list_dir(dir, ".failed.json", &nf);
			if (nd || nf)
				add_step(r, names[i]);
			free_list(d);
			free_list(f);
		}
		free(dir);
	}
	free_list(names);
}

static long get_long(const json_t *o, const char *key)
{
	uint64_t v;
	return get_u64(o, key, &v) ? (long)v : -1;
}

struct wn_report *wn_report_load(const char *workdir, char *err, size_t errlen)
{
	if (!is_dir(workdir)) {
		wn_err(err, errlen, "cannot read work directory '%s': %s", workdir,
		       errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	struct wn_report *r = wn_xcalloc(1, sizeof *r);
	r->workdir = wn_xstrdup(workdir);
	r->started_t = r->ended_t = -1;
	char *rp = path2(workdir, "run.json");
	json_t *run = load_json(r, rp, 1);
	if (run) {
		r->has_run = 1;
		/* the runner has spelled these both ways; take either */
		const char *k_yaml = json_object_get(run, "yaml") ? "yaml" : "pipeline";
		const char *k_start = json_object_get(run, "started") ? "started" : "start";
		const char *k_end = json_object_get(run, "ended") ? "ended" : "end";
		r->name = get_text(run, "name");
		r->yaml = get_text(run, k_yaml);
		r->started = get_text(run, k_start);
		r->ended = get_text(run, k_end);
		r->executor = get_text(run, "executor");
		r->status = get_text(run, "status");
		r->started_t = time_of(run, k_start);
		r->ended_t = time_of(run, k_end);
		const json_t *steps = json_object_get(run, "steps"), *e;
		size_t i;
		json_array_foreach((json_t *)steps, i, e) {
			const json_t *nm = json_object_get(e, "name");
			if (!json_is_string(nm) || !safe_name(json_string_value(nm))) {
				warn(r, "%s: steps[%zu]: missing or unusable name", rp, i);
				continue;
			}
			struct wn_rep_step *s = add_step(r, json_string_value(nm));
			s->barrier = json_is_true(json_object_get(e, "barrier"));
			s->tasks = get_long(e, "tasks");
			s->done = get_long(e, "done");
			s->failed = get_long(e, "failed");
		}
		json_decref(run);
	} else {
		/* absent is not an error (a run that never got to write it, or a
		 * directory assembled by hand); the page says so */
		discover_steps(r);
	}
	free(rp);
	for (size_t i = 0; i < r->nsteps; i++)
		read_step_dir(r, &r->steps[i]);
	return r;
}

void wn_report_free(struct wn_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsteps; i++) {
		struct wn_rep_step *s = &r->steps[i];
		for (size_t k = 0; k < s->nstages; k++) {
			struct wn_rep_stage *g = &s->stages[k];
			free(g->name);
			wn_rep_map_release(&g->reasons);
			wn_rep_map_release(&g->langs);
			wn_rep_map_release(&g->clusters);
		}
		free(s->stages);
		free(s->name);
		for (int k = 0; k < s->nslow; k++)
			free(s->slow[k].input);
	}
	free(r->steps);
	for (size_t i = 0; i < r->nfails; i++) {
		struct wn_rep_fail *f = &r->fails[i];
		free(f->step), free(f->file), free(f->log), free(f->exits), free(f->error);
	}
	free(r->fails);
	struct wn_rep_side *sides[2] = { r->tokenizers, r->packs };
	size_t ns[2] = { r->ntokenizers, r->npacks };
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ns[k]; i++) {
			free(sides[k][i].step);
			free(sides[k][i].path);
			json_decref(sides[k][i].json);
		}
		free(sides[k]);
	}
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->status);
	free(r->workdir), free(r->name), free(r->yaml), free(r->started), free(r->ended), free(r->executor);
	free(r);
}

/* ---- JSON dump ---------------------------------------------------------------- */

static json_t *jint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *map_json(const struct wn_rep_map *m)
{
	json_t *o = json_object();
	for (size_t i = 0; i < m->n; i++)
		json_object_set_new(o, m->v[i].key, jint(m->v[i].n));
	return o;
}

static json_t *hist_json(const uint64_t *h, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, jint(h[i]));
	return a;
}

void wn_report_json(const struct wn_report *r, struct wn_buf *out)
{
	json_t *o = json_object();
	json_t *run = json_object();
	json_object_set_new(run, "workdir", json_string(r->workdir));
	json_object_set_new(run, "name", jstr_or_null(r->name));
	json_object_set_new(run, "yaml", jstr_or_null(r->yaml));
	json_object_set_new(run, "started", jstr_or_null(r->started));
	json_object_set_new(run, "ended", jstr_or_null(r->ended));
	json_object_set_new(run, "executor", jstr_or_null(r->executor));
	json_object_set_new(run, "status", jstr_or_null(r->status));
	json_object_set_new(run, "seconds", r->started_t >= 0 && r->ended_t >= r->started_t
						    ? json_real(r->ended_t - r->started_t) : json_null());
	json_object_set_new(o, "run", run);
	json_t *steps = json_array();
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct wn_rep_step *s = &r->steps[i];
		json_t *js = json_object();
		json_object_set_new(js, "name", json_string(s->name));
		json_object_set_new(js, "barrier", json_boolean(s->barrier));
		json_object_set_new(js, "tasks", s->tasks >= 0 ? jint((uint64_t)s->tasks) : json_null());
		json_object_set_new(js, "done", s->done >= 0 ? jint((uint64_t)s->done) : json_null());
		json_object_set_new(js, "failed", s->failed >= 0 ? jint((uint64_t)s->failed) : json_null());
		json_object_set_new(js, "done_markers", jint(s->done_files));
		json_object_set_new(js, "failed_attempts", jint(s->failed_files));
		json_object_set_new(js, "seconds", json_real(s->seconds));
		json_object_set_new(js, "seconds_max", json_real(s->seconds_max));
		json_object_set_new(js, "wall_seconds", s->last_finish >= 0 ? json_real(s->last_finish - s->first_start)
									 : json_null());
		json_t *stages = json_array();
		for (size_t k = 0; k < s->nstages; k++) {
			const struct wn_rep_stage *g = &s->stages[k];
			json_t *jg = json_object();
			json_object_set_new(jg, "stage", json_string(g->name));
			json_object_set_new(jg, "index", json_integer(g->index));
			json_object_set_new(jg, "tasks", jint(g->tasks));
			json_object_set_new(jg, "docs_in", jint(g->docs_in));
			json_object_set_new(jg, "docs_out", jint(g->docs_out));
			json_object_set_new(jg, "docs_rejected", jint(g->docs_rejected));
			json_object_set_new(jg, "docs_bad", jint(g->docs_bad));
			json_object_set_new(jg, "bytes_in", jint(g->bytes_in));
			json_object_set_new(jg, "bytes_out", jint(g->bytes_out));
			json_object_set_new(jg, "input_errors", jint(g->input_errors));
			json_object_set_new(jg, "seconds", json_real(g->seconds));
			json_object_set_new(jg, "tokens", g->has_tokens ? jint(g->tokens) : json_null());
			json_object_set_new(jg, "text_bytes", g->has_text_bytes ? jint(g->text_bytes) : json_null());
			json_object_set_new(jg, "vocab_size", g->has_vocab ? jint(g->vocab_size) : json_null());
			json_object_set_new(jg, "reasons", map_json(&g->reasons));
			json_object_set_new(jg, "langs", g->has_langs ? map_json(&g->langs) : json_null());
			json_object_set_new(jg, "cluster_sizes", g->has_clusters ? map_json(&g->clusters) : json_null());
			json_object_set_new(jg, "hist_bytes_in", hist_json(g->hist_in, g->nhist_in));
			json_object_set_new(jg, "hist_bytes_out", hist_json(g->hist_out, g->nhist_out));
			json_array_append_new(stages, jg);
		}
		json_object_set_new(js, "stages", stages);
		json_t *slow = json_array();
		for (int k = 0; k < s->nslow; k++) {
			json_t *t = json_object();
			json_object_set_new(t, "task", json_integer(s->slow[k].task));
			json_object_set_new(t, "seconds", json_real(s->slow[k].seconds));
			json_object_set_new(t, "input", jstr_or_null(s->slow[k].input));
			json_array_append_new(slow, t);
		}
		json_object_set_new(js, "slowest_tasks", slow);
		json_array_append_new(steps, js);
	}
	json_object_set_new(o, "steps", steps);
	json_t *fails = json_array();
	for (size_t i = 0; i < r->nfails; i++) {
		const struct wn_rep_fail *f = &r->fails[i];
		json_t *jf = json_object();
		json_object_set_new(jf, "step", json_string(f->step));
		json_object_set_new(jf, "task", json_integer(f->task));
		json_object_set_new(jf, "attempt", f->attempt >= 0 ? json_integer(f->attempt) : json_null());
		json_object_set_new(jf, "recovered", json_boolean(f->recovered));
		json_object_set_new(jf, "exits", jstr_or_null(f->exits));
		json_object_set_new(jf, "error", jstr_or_null(f->error));
		json_object_set_new(jf, "log", jstr_or_null(f->log));
		json_object_set_new(jf, "marker", json_string(f->file));
		json_array_append_new(fails, jf);
	}
	json_object_set_new(o, "failed_attempts", fails);
	json_t *side[2] = { json_array(), json_array() };
	const struct wn_rep_side *sv[2] = { r->tokenizers, r->packs };
	size_t sn[2] = { r->ntokenizers, r->npacks };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sn[k]; i++) {
			json_t *e = json_object();
			json_object_set_new(e, "step", json_string(sv[k][i].step));
			json_object_set_new(e, "path", json_string(sv[k][i].path));
			json_object_set(e, "content", sv[k][i].json);
			json_array_append_new(side[k], e);
		}
	json_object_set_new(o, "tokenizers", side[0]);
	json_object_set_new(o, "packs", side[1]);
	json_t *w = json_array();
	for (size_t i = 0; i < r->nwarnings; i++)
		json_array_append_new(w, json_string(r->warnings[i]));
	json_object_set_new(o, "warnings", w);
	/* json_string() refuses invalid UTF-8 and returns NULL, which
	 * json_object_set_new() drops: names from files can be anything, and the
	 * dump then simply lacks that member rather than failing. */
	char *text = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (text) {
		wn_buf_adds(out, text);
		wn_buf_addc(out, '\n');
		free(text);
	}
}
