/*
 * runner.c -- task planning, definition hashes, completion markers, the
 * process chain of one task, and the local executor.
 *
 * Process structure of a local run:
 *
 *   winnow-run (scheduler) --fork--> supervisor (one per running task)
 *                                      --fork/exec--> stage | stage | stage
 *
 * A supervisor runs wn_task_exec(): it is the same function a Slurm array
 * task runs, so both executors produce identical files. The stages of one
 * task share a process group, so a signal to the supervisor can kill the
 * whole chain at once; supervisors and stages also ask the kernel to kill
 * them when their parent dies (PR_SET_PDEATHSIG), so a `kill -9` of the
 * scheduler does not leave orphans that would race with a rerun.
 *
 * Resume rule: a task is done when its NNNNN.done.json exists, its
 * def_hash equals the one planned now and its output exists. The hash
 * covers the step's definition (argv as written, ext, output, compression),
 * the task's input (path, size and mtime for local files) and the hashes of
 * every task it depends on, so a changed flag or input set invalidates
 * exactly the affected tasks and everything downstream of them.
 */
#include "runner.h"
#include "buf.h"
#include "fetch.h"
#include "hash.h"
#include "io.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t wn_run_interrupted;
/* process group of the chain this process supervises (0: none) */
static volatile pid_t cur_pgid;

static void on_signal(int sig)
{
	wn_run_interrupted = sig;
	if (cur_pgid > 0)
		kill(-cur_pgid, SIGKILL);
}

void wn_run_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ---------------------------------------------------------------- helpers */

static char *xasprintf(const char *fmt, ...) WN_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		BUG("vasprintf failed");
	va_end(ap);
	return s;
}

static int mkdir_p(const char *path)
{
	char *d = wn_xstrdup(path);
	for (char *s = d + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(d, 0777) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(d, 0777) < 0 && errno != EEXIST ? -1 : 0;
	free(d);
	return rc;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	WN_UNUSED(sb);
	WN_UNUSED(ftw);
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_rf(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return;
	if (S_ISDIR(sb.st_mode))
		nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		unlink(path);
}

static void rm_glob(const char *pattern)
{
	glob_t g;
	if (glob(pattern, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			rm_rf(g.gl_pathv[i]);
	globfree(&g);
}

static char *dirname_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? wn_xstrndup(path, s == path ? 1 : (size_t)(s - path)) : wn_xstrdup(".");
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static void iso_time(char out[32], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *wn_argv_display(char *const *argv)
{
	struct wn_buf b = WN_BUF_INIT;
	for (int i = 0; argv[i]; i++) {
		const char *a = argv[i];
		if (i)
			wn_buf_addc(&b, ' ');
		if (*a && !a[strcspn(a, " \t\n'\"\\$`!*?[]{}()<>|&;#~")]) {
			wn_buf_adds(&b, a);
			continue;
		}
		wn_buf_addc(&b, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				wn_buf_adds(&b, "'\\''");
			else
				wn_buf_addc(&b, *a);
		}
		wn_buf_addc(&b, '\'');
	}
	return wn_buf_detach(&b, NULL);
}

/* ---------------------------------------------------------------- planning */

/* Inputs are deduplicated (the same file twice would make two tasks write
 * the same work) through an open-addressing set of indexes into
 * pl->inputs, so 100k-line input lists stay linear. */
struct input_set {
	int *slot; /* -1 empty, else index into pl->inputs */
	size_t cap;
};

static void add_input(struct wn_plan *pl, struct input_set *set, const char *s)
{
	if ((size_t)(pl->ninputs + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		int *slot = wn_xmalloc(cap * sizeof *slot);
		memset(slot, 0xff, cap * sizeof *slot);
		for (int i = 0; i < pl->ninputs; i++) {
			size_t h = wn_hash64(pl->inputs[i], strlen(pl->inputs[i]), 0) & (cap - 1);
			while (slot[h] >= 0)
				h = (h + 1) & (cap - 1);
			slot[h] = i;
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	size_t h = wn_hash64(s, strlen(s), 0) & (set->cap - 1);
	for (; set->slot[h] >= 0; h = (h + 1) & (set->cap - 1))
		if (!strcmp(pl->inputs[set->slot[h]], s))
			return;
	set->slot[h] = pl->ninputs;
	pl->inputs = wn_xrealloc(pl->inputs, (size_t)(pl->ninputs + 1) * sizeof *pl->inputs);
	pl->inputs[pl->ninputs++] = wn_xstrdup(s);
}



static int read_input_list(struct wn_plan *pl, struct input_set *set, const char *path, char *err, size_t errlen)
{
	struct wn_reader *r = wn_reader_open(path, err, errlen);
	if (!r)
		return -1;
	char *dir = dirname_of(path);
	const char *line;
	size_t len;
	int rc;
	while ((rc = wn_reader_getline(r, &line, &len)) > 0) {
		while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		while (len && (*line == ' ' || *line == '\t'))
			line++, len--;
		if (!len || *line == '#')
			continue;
		char *s = wn_xstrndup(line, len);
		if (is_url(s) || s[0] == '/') {
			add_input(pl, set, s);
		} else {
			char *abs = xasprintf("%s/%s", dir, s);
			add_input(pl, set, abs);
			free(abs);
		}
		free(s);
	}
	if (rc < 0)
		wn_err(err, errlen, "input_list '%s': %s", path, wn_reader_error(r));
	wn_reader_free(r);
	free(dir);
	return rc < 0 ? -1 : 0;
}

static int expand_inputs(struct wn_plan *pl, struct input_set *set, char *err, size_t errlen)
{
	const struct wn_pipeline *p = pl->p;
	for (int i = 0; i < p->ninputs; i++) {
		glob_t g;
		int rc = glob(p->inputs[i], GLOB_BRACE | GLOB_TILDE, NULL, &g);
		if (rc == GLOB_NOMATCH) {
			globfree(&g);
			return wn_err(err, errlen, "%s: inputs: '%s' matches no file", p->path, p->inputs[i]);
		}
		if (rc != 0) {
			globfree(&g);
			return wn_err(err, errlen, "%s: inputs: cannot expand '%s'", p->path, p->inputs[i]);
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			struct stat sb;
			if (stat(g.gl_pathv[k], &sb) == 0 && S_ISDIR(sb.st_mode))
				continue;
			add_input(pl, set, g.gl_pathv[k]);
		}
		globfree(&g);
	}
	if (p->input_list && read_input_list(pl, set, p->input_list, err, errlen) < 0)
		return -1;
	return 0;
}

static void hash_str(struct wn_sha256 *h, const char *tag, const char *s)
{
	wn_sha256_update(h, tag, strlen(tag) + 1);
	wn_sha256_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void add_dep(struct wn_task *t, int d)
{
	t->deps = wn_xrealloc(t->deps, (size_t)(t->ndeps + 1) * sizeof *t->deps);
	t->deps[t->ndeps++] = d;
}

int wn_plan_find(const struct wn_plan *pl, int step, int index)
{
	if (step < 0 || step >= pl->p->nsteps || index < 0 || index >= pl->count[step])
		return -1;
	return pl->first[step] + index;
}

static int plan_build(struct wn_plan *pl, const struct wn_pipeline *p, const char *snapshot, char *err,
		      size_t errlen);

int wn_plan_build(struct wn_plan *pl, const struct wn_pipeline *p, char *err, size_t errlen)
{
	return plan_build(pl, p, NULL, err, errlen);
}

int wn_plan_build_from(struct wn_plan *pl, const struct wn_pipeline *p, const char *snapshot, char *err,
		       size_t errlen)
{
	return plan_build(pl, p, snapshot, err, errlen);
}

int wn_plan_save_inputs(const struct wn_plan *pl, const char *path, char *err, size_t errlen)
{
	struct wn_buf b = WN_BUF_INIT;
	for (int i = 0; i < pl->ninputs; i++)
		wn_buf_addf(&b, "%s\n", pl->inputs[i]);
	int rc = wn_write_file_atomic(path, b.data, b.len, err, errlen);
	wn_buf_release(&b);
	return rc;
}

static int read_snapshot(struct wn_plan *pl, struct input_set *set, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return wn_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n)
			add_input(pl, set, line);
	}
	free(line);
	fclose(f);
	return 0;
}

static int plan_build(struct wn_plan *pl, const struct wn_pipeline *p, const char *snapshot, char *err,
		      size_t errlen)
{
	memset(pl, 0, sizeof *pl);
	pl->p = p;
	ssize_t n = readlink("/proc/self/exe", pl->self_dir, sizeof pl->self_dir - 1);
	if (n > 0) {
		pl->self_dir[n] = '\0';
		char *s = strrchr(pl->self_dir, '/');
		if (s)
			*s = '\0';
	}
	struct input_set set = { 0 };
	int rc = snapshot ? read_snapshot(pl, &set, snapshot, err, errlen) : expand_inputs(pl, &set, err, errlen);
	free(set.slot);
	if (rc < 0)
		return -1;
	pl->first = wn_xcalloc((size_t)p->nsteps, sizeof *pl->first);
	pl->count = wn_xcalloc((size_t)p->nsteps, sizeof *pl->count);
	int total = 0;
	for (int s = 0; s < p->nsteps; s++) {
		const struct wn_pl_step *st = &p->steps[s];
		pl->first[s] = total;
		pl->count[s] = st->barrier ? 1 : st->from < 0 ? pl->ninputs : pl->count[st->from];
		total += pl->count[s];
	}
	if (pl->ninputs == 0)
		return wn_err(err, errlen, "%s: no input files", p->path);
	pl->tasks = wn_xcalloc((size_t)total, sizeof *pl->tasks);
	pl->ntasks = total;
	for (int s = 0; s < p->nsteps; s++) {
		const struct wn_pl_step *st = &p->steps[s];
		/* the step's own definition, hashed once */
		struct wn_sha256 h;
		char defhex[65];
		wn_sha256_init(&h);
		hash_str(&h, "winnow-run step v1", st->name);
		hash_str(&h, "barrier", st->barrier ? "1" : "0");
		for (int k = 0; k < st->nstages; k++)
			for (int a = 0; a <= st->stages[k].argc; a++)
				hash_str(&h, a == st->stages[k].argc ? "end-stage" : "arg", st->stages[k].argv[a]);
		hash_str(&h, "ext", st->ext);
		hash_str(&h, "output", st->output);
		hash_str(&h, "compress", p->compress);
		wn_sha256_final(&h, defhex);
		for (int i = 0; i < pl->count[s]; i++) {
			struct wn_task *t = &pl->tasks[pl->first[s] + i];
			t->step = s;
			t->index = i;
			if (st->barrier && st->output)
				t->output = wn_xstrdup(st->output);
			else
				t->output = xasprintf("%s/%s/%05d.%s", p->work_dir, st->name, i, st->ext);
			if (st->barrier) {
				if (st->from < 0)
					; /* reads every input: covered by the input hashes below */
				else
					for (int k = 0; k < pl->count[st->from]; k++)
						add_dep(t, pl->first[st->from] + k);
			} else if (st->from < 0) {
				t->input = wn_xstrdup(pl->inputs[i]);
			} else {
				add_dep(t, pl->first[st->from] + i);
				t->input = wn_xstrdup(pl->tasks[pl->first[st->from] + i].output);
			}
			for (int a = 0; a < st->nafter; a++)
				for (int k = 0; k < pl->count[st->after[a]]; k++)
					add_dep(t, pl->first[st->after[a]] + k);
			wn_sha256_init(&h);
			hash_str(&h, "def", defhex);
			char num[32];
			snprintf(num, sizeof num, "%d", i);
			hash_str(&h, "task", num);
			/* original inputs: path, size and mtime (a replaced file is a new input) */
			for (int k = 0; k < pl->ninputs; k++) {
				if (st->from >= 0 || (!st->barrier && k != i))
					continue;
				hash_str(&h, "input", pl->inputs[k]);
				struct stat sb;
				if (!is_url(pl->inputs[k]) && stat(pl->inputs[k], &sb) == 0) {
					char meta[64];
					snprintf(meta, sizeof meta, "%lld %lld", (long long)sb.st_size, (long long)sb.st_mtime);
					hash_str(&h, "stat", meta);
				}
			}
			for (int d = 0; d < t->ndeps; d++)
				hash_str(&h, "dep", pl->tasks[t->deps[d]].def_hash);
			wn_sha256_final(&h, t->def_hash);
		}
	}
	return 0;
}

void wn_plan_release(struct wn_plan *pl)
{
	for (int i = 0; i < pl->ninputs; i++)
		free(pl->inputs[i]);
	free(pl->inputs);
	for (int i = 0; i < pl->ntasks; i++) {
		free(pl->tasks[i].input);
		free(pl->tasks[i].output);
		free(pl->tasks[i].deps);
	}
	free(pl->tasks);
	free(pl->first);
	free(pl->count);
	memset(pl, 0, sizeof *pl);
}

char *wn_task_path(const struct wn_plan *pl, const struct wn_task *t, const char *suffix)
{
	return xasprintf("%s/%s/%05d.%s", pl->p->work_dir, pl->p->steps[t->step].name, t->index, suffix);
}

static int marker_matches(const char *path, const char *hash)
{
	json_t *j = json_load_file(path, 0, NULL);
	if (!j)
		return 0;
	const char *h = json_string_value(json_object_get(j, "def_hash"));
	int ok = h && !strcmp(h, hash);
	json_decref(j);
	return ok;
}

enum wn_task_state wn_task_scan(const struct wn_plan *pl, struct wn_task *t)
{
	char *done = wn_task_path(pl, t, "done.json");
	char *failed = wn_task_path(pl, t, "failed.json");
	enum wn_task_state s = WN_TASK_PENDING;
	struct stat sb, mb;
	if (marker_matches(done, t->def_hash) && stat(t->output, &sb) == 0 && stat(done, &mb) == 0) {
		s = WN_TASK_DONE;
		t->done_mtime = mb.st_mtim;
	} else if (marker_matches(failed, t->def_hash)) {
		s = WN_TASK_FAILED;
	}
	free(done);
	free(failed);
	return s;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

int wn_task_fresh(const struct wn_plan *pl, struct wn_task *t)
{
	if (wn_task_scan(pl, t) != WN_TASK_DONE)
		return 0;
	for (int d = 0; d < t->ndeps; d++) {
		struct wn_task *u = &pl->tasks[t->deps[d]];
		if (wn_task_scan(pl, u) != WN_TASK_DONE || ts_after(u->done_mtime, t->done_mtime))
			return 0;
	}
	return 1;
}

void wn_plan_scan(struct wn_plan *pl)
{
	/* tasks come in dependency order, so one pass makes staleness transitive */
	for (int i = 0; i < pl->ntasks; i++) {
		struct wn_task *t = &pl->tasks[i];
		t->state = wn_task_scan(pl, t);
		if (t->state != WN_TASK_DONE)
			continue;
		for (int d = 0; d < t->ndeps; d++) {
			const struct wn_task *u = &pl->tasks[t->deps[d]];
			if (u->state != WN_TASK_DONE || ts_after(u->done_mtime, t->done_mtime)) {
				t->state = WN_TASK_PENDING;
				break;
			}
		}
	}
}

/* ---------------------------------------------------------------- one task */

/* Where a program is: paths with a '/' are taken relative to the yaml's
 * directory; winnow-* is looked up beside winnow-run first; else PATH. */
char *wn_find_program(const struct wn_plan *pl, const char *name)
{
	if (strchr(name, '/')) {
		char *c = name[0] == '/' ? wn_xstrdup(name) : xasprintf("%s/%s", pl->p->dir, name);
		if (access(c, X_OK) == 0)
			return c;
		free(c);
		return NULL;
	}
	if (!strncmp(name, "winnow-", 7) && pl->self_dir[0]) {
		char *c = xasprintf("%s/%s", pl->self_dir, name);
		if (access(c, X_OK) == 0)
			return c;
		free(c);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char *c = xasprintf("%.*s/%s", (int)n, n ? path : ".", name);
		struct stat sb;
		if (access(c, X_OK) == 0 && stat(c, &sb) == 0 && S_ISREG(sb.st_mode))
			return c;
		free(c);
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

struct chain {
	int n;
	char **argv[WN_PL_MAX_STAGES];  /* NULL-terminated, owned */
	char *stats[WN_PL_MAX_STAGES];  /* --stats file of stage k, or NULL */
	char *prog[WN_PL_MAX_STAGES];   /* resolved program, or NULL when not found */
	const char *cwd;                /* borrowed: the yaml's directory */
};

static void chain_release(struct chain *c)
{
	for (int k = 0; k < c->n; k++) {
		for (int a = 0; c->argv[k] && c->argv[k][a]; a++)
			free(c->argv[k][a]);
		free(c->argv[k]);
		free(c->stats[k]);
		free(c->prog[k]);
	}
	memset(c, 0, sizeof *c);
}

struct argvb {
	char **v;
	int n, cap;
};

static void argv_push(struct argvb *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = wn_xrealloc(a->v, (size_t)a->cap * sizeof *a->v);
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* The final output of step `s` as {step:NAME} names it. */
static char *step_path(const struct wn_plan *pl, int s)
{
	const struct wn_pl_step *st = &pl->p->steps[s];
	if (st->barrier)
		return wn_xstrdup(pl->tasks[pl->first[s]].output);
	return xasprintf("%s/%s", pl->p->work_dir, st->name);
}

static char *expand(const struct wn_plan *pl, const char *a, const char *input, const char *output)
{
	struct wn_buf b = WN_BUF_INIT;
	while (*a) {
		if (!strncmp(a, "{input}", 7)) {
			wn_buf_adds(&b, input ? input : "");
			a += 7;
		} else if (!strncmp(a, "{output}", 8)) {
			wn_buf_adds(&b, output);
			a += 8;
		} else if (!strncmp(a, "{step:", 6) && strchr(a, '}')) {
			const char *e = strchr(a, '}');
			char *nm = wn_xstrndup(a + 6, (size_t)(e - a - 6));
			int s = wn_pipeline_step(pl->p, nm);
			free(nm);
			if (s >= 0) {
				char *sp = step_path(pl, s);
				wn_buf_adds(&b, sp);
				free(sp);
			}
			a = e + 1;
		} else {
			wn_buf_addc(&b, *a++);
		}
	}
	return wn_buf_detach(&b, NULL);
}

/* Build the argv of every stage of task t. `input` is the local input
 * file, `output` what {output} stands for, `tmpbase` the prefix for stats
 * files (NULL: no --stats, as in --dry-run). */
static void build_chain(const struct wn_plan *pl, const struct wn_task *t, const char *input, const char *output,
			const char *tmpbase, struct chain *c)
{
	const struct wn_pl_step *st = &pl->p->steps[t->step];
	memset(c, 0, sizeof *c);
	/* Stages run in the yaml's directory, so relative paths in their
	 * arguments mean the same as the yaml's own relative paths, whatever
	 * directory winnow-run (or a Slurm job) starts in. */
	c->cwd = pl->p->dir;
	c->n = st->nstages; /* <= WN_PL_MAX_STAGES, checked by the loader */
	for (int k = 0; k < c->n; k++) {
		const struct wn_pl_cmd *cmd = &st->stages[k];
		struct argvb a = { 0 };
		int has_input = 0, dashdash = -1;
		for (int i = 0; i < cmd->argc; i++) {
			const char *s = cmd->argv[i];
			if (!strcmp(s, "--") && dashdash < 0 && i > 0)
				dashdash = a.n;
			if (wn_pl_has(s, "{input}"))
				has_input = 1;
			if (!strcmp(s, "{inputs}")) {
				const struct wn_pl_step *fs = st->from >= 0 ? &pl->p->steps[st->from] : NULL;
				int cnt = fs ? pl->count[st->from] : pl->ninputs;
				for (int j = 0; j < cnt; j++)
					argv_push(&a, wn_xstrdup(fs ? pl->tasks[pl->first[st->from] + j].output : pl->inputs[j]));
				continue;
			}
			argv_push(&a, expand(pl, s, input, output));
		}
		c->prog[k] = wn_find_program(pl, cmd->argv[0]);
		/* winnow stages report their counters; no progress lines in logs */
		if (!strncmp(basename_of(cmd->argv[0]), "winnow-", 7) && strcmp(basename_of(cmd->argv[0]), "winnow-run")) {
			char *extra[3];
			int ne = 0;
			if (tmpbase) {
				c->stats[k] = xasprintf("%s.s%d.json", tmpbase, k);
				extra[ne++] = wn_xstrdup("--stats");
				extra[ne++] = wn_xstrdup(c->stats[k]);
			}
			extra[ne++] = wn_xstrdup("--no-progress");
			int at = dashdash >= 0 ? dashdash : a.n;
			for (int e = 0; e < ne; e++) {
				argv_push(&a, NULL);
				memmove(a.v + at + e + 1, a.v + at + e, (size_t)(a.n - 1 - at - e) * sizeof *a.v);
				a.v[at + e] = extra[e];
			}
		}
		if (k == 0 && !st->barrier && !has_input && input)
			argv_push(&a, wn_xstrdup(input));
		if (!a.v)
			argv_push(&a, wn_xstrdup(cmd->argv[0]));
		c->argv[k] = a.v;
	}
}

struct stage_result {
	int exit_code; /* -1 when killed by a signal or not started */
	int signo;
};

/* Fork/exec the chain. Captured stdout of the last stage goes to `w`
 * (when not NULL), else to /dev/null. Returns 0 when every stage exited 0,
 * 1 otherwise; -1 when interrupted. */
static int run_chain(struct chain *c, int logfd, struct wn_writer *w, struct stage_result *res, char *err,
		     size_t errlen)
{
	pid_t pids[WN_PL_MAX_STAGES] = { 0 };
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int capfd = -1;
	pid_t pgid = 0;
	int started = 0;
	if (wn_run_interrupted) {
		if (in >= 0)
			close(in);
		return -1;
	}
	for (int k = 0; k < c->n; k++) {
		res[k].exit_code = -1;
		res[k].signo = 0;
	}
	for (int k = 0; k < c->n; k++) {
		int out, pfd[2] = { -1, -1 };
		if (k < c->n - 1 || w) {
			if (pipe2(pfd, O_CLOEXEC) < 0) {
				wn_err(err, errlen, "pipe: %s", strerror(errno));
				break;
			}
			out = pfd[1];
		} else {
			out = open("/dev/null", O_WRONLY | O_CLOEXEC);
		}
		if (!c->prog[k]) {
			dprintf(logfd, "winnow-run: cannot find program '%s' (not beside winnow-run, not on PATH)\n",
				c->argv[k][0]);
			res[k].exit_code = 127;
			close(out);
			if (in >= 0)
				close(in);
			in = pfd[0];
			if (k == c->n - 1 && w)
				capfd = pfd[0], in = -1;
			continue;
		}
		fflush(NULL);
		/* Block the stop signals across fork: the child must not run our
		 * handler (it would swallow the signal and exec anyway), and the
		 * parent must know the group before the handler can run. */
		sigset_t stop, old;
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop, &old);
		pid_t pid = fork();
		if (pid < 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			wn_err(err, errlen, "fork: %s", strerror(errno));
			close(out);
			if (pfd[0] >= 0)
				close(pfd[0]);
			break;
		}
		if (pid == 0) {
			setpgid(0, pgid);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGPIPE, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			if (in < 0)
				in = open("/dev/null", O_RDONLY);
			dup2(in, 0);
			dup2(out, 1);
			dup2(logfd, 2);
			if (c->cwd && chdir(c->cwd) < 0) {
				dprintf(2, "winnow-run: cannot enter '%s': %s\n", c->cwd, strerror(errno));
				_exit(127);
			}
			execv(c->prog[k], c->argv[k]);
			dprintf(2, "winnow-run: cannot run '%s': %s\n", c->prog[k], strerror(errno));
			_exit(127);
		}
		if (!pgid)
			pgid = pid;
		setpgid(pid, pgid);
		cur_pgid = pgid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (wn_run_interrupted)
			kill(-pgid, SIGKILL); /* the signal came before the group existed */
		pids[k] = pid;
		started++;
		close(out);
		if (in >= 0)
			close(in);
		in = pfd[0];
		if (k == c->n - 1 && w)
			capfd = pfd[0], in = -1;
	}
	if (in >= 0)
		close(in);
	int werr = 0;
	if (capfd >= 0) {
		char *buf = wn_xmalloc(1 << 17);
		for (;;) {
			ssize_t r = read(capfd, buf, 1 << 17);
			if (r < 0 && errno == EINTR) {
				if (wn_run_interrupted)
					break;
				continue;
			}
			if (r <= 0)
				break;
			if (!werr && wn_writer_write(w, buf, (size_t)r) < 0) {
				werr = 1;
				wn_err(err, errlen, "writing the task output: %s", wn_writer_error(w));
			}
		}
		free(buf);
		close(capfd);
	}
	int failed = 0;
	for (int k = 0; k < c->n; k++) {
		if (!pids[k]) {
			failed = 1;
			continue;
		}
		int status;
		while (waitpid(pids[k], &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		if (status != -1 && WIFEXITED(status)) {
			res[k].exit_code = WEXITSTATUS(status);
			if (res[k].exit_code)
				failed = 1;
		} else if (status != -1 && WIFSIGNALED(status)) {
			res[k].signo = WTERMSIG(status);
			failed = 1;
		} else {
			failed = 1;
		}
	}
	cur_pgid = 0;
	if (started < c->n && !err[0])
		failed = 1;
	if (wn_run_interrupted)
		return -1;
	return failed || werr ? 1 : 0;
}

static json_t *argv_json(char **argv)
{
	json_t *a = json_array();
	for (int i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static int write_json(const char *path, json_t *j, char *err, size_t errlen)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!s)
		return wn_err(err, errlen, "cannot serialise %s", path);
	size_t n = strlen(s);
	s = wn_xrealloc(s, n + 2);
	s[n] = '\n';
	int rc = wn_write_file_atomic(path, s, n + 1, err, errlen);
	free(s);
	return rc;
}

static json_t *task_json(const struct wn_plan *pl, const struct wn_task *t, int attempt)
{
	json_t *j = json_object();
	json_object_set_new(j, "step", json_string(pl->p->steps[t->step].name));
	json_object_set_new(j, "task", json_integer(t->index));
	json_object_set_new(j, "input", t->input ? json_string(t->input) : json_null());
	json_object_set_new(j, "output", json_string(t->output));
	json_object_set_new(j, "def_hash", json_string(t->def_hash));
	json_object_set_new(j, "attempt", json_integer(attempt));
	return j;
}

/* Move the finished temporary output into place (files and directories). */
static int commit_output(const char *tmp, const char *final, char *err, size_t errlen)
{
	struct stat sb;
	if (lstat(tmp, &sb) < 0)
		return wn_err(err, errlen, "the command exited 0 but did not write {output} ('%s')", tmp);
	if (rename(tmp, final) == 0)
		return 0;
	if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR)
		return wn_err(err, errlen, "cannot rename '%s' to '%s': %s", tmp, final, strerror(errno));
	/* a directory from an earlier run is in the way: move it aside first */
	char *dir = dirname_of(final);
	char *old = xasprintf("%s/.old-%ld.%s", dir, (long)getpid(), basename_of(final));
	free(dir);
	int rc = 0;
	if (rename(final, old) < 0 || rename(tmp, final) < 0)
		rc = wn_err(err, errlen, "cannot replace '%s': %s", final, strerror(errno));
	rm_rf(old);
	free(old);
	return rc;
}

/* Remove what an earlier, killed attempt at this task may have left. */
static void clean_task_temps(const struct wn_plan *pl, const struct wn_task *t)
{
	char *pat = wn_task_path(pl, t, "*tmp*");
	rm_glob(pat);
	free(pat);
	const struct wn_pl_step *st = &pl->p->steps[t->step];
	if (st->barrier && st->output) {
		char *dir = dirname_of(t->output);
		pat = xasprintf("%s/.tmp-*.%s*", dir, basename_of(t->output));
		rm_glob(pat);
		free(pat);
		pat = xasprintf("%s/%s.tmp.*", dir, basename_of(t->output));
		rm_glob(pat);
		free(pat);
		pat = xasprintf("%s/.old-*.%s", dir, basename_of(t->output));
		rm_glob(pat);
		free(pat);
		free(dir);
	}
}

/* Exit status 1 of a winnow stage means "some records were bad" as well as
 * "fatal data error". Bad records are counted, reported and kept in the
 * stats; they must not fail a task over a whole WARC file, so status 1 is
 * accepted when the stage's stats show bad records or unreadable inputs,
 * do not say "fatal": true, and --strict was not asked for. Everything
 * else that is not 0 fails the attempt. */
static int bad_records_only(const struct chain *c, const struct stage_result *res)
{
	for (int k = 0; k < c->n; k++) {
		if (res[k].exit_code == 0)
			continue;
		if (res[k].exit_code != 1 || !c->stats[k])
			return 0;
		for (int a = 0; c->argv[k][a]; a++)
			if (!strcmp(c->argv[k][a], "--strict"))
				return 0;
		json_t *j = json_load_file(c->stats[k], 0, NULL);
		int ok = j && !json_is_true(json_object_get(j, "fatal")) &&
			 (json_integer_value(json_object_get(j, "docs_bad")) > 0 ||
			  json_integer_value(json_object_get(j, "input_errors")) > 0);
		json_decref(j);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Name the cause of a failed chain: the first stage that exited non-zero
 * or died of a signal other than SIGPIPE (which only says that its reader
 * died first). */
static void describe_failure(const struct chain *c, const struct stage_result *res, char *err, size_t errlen)
{
	int pick = -1;
	for (int k = 0; k < c->n && pick < 0; k++)
		if (res[k].exit_code != 0 && res[k].signo != SIGPIPE)
			pick = k;
	for (int k = 0; k < c->n && pick < 0; k++)
		if (res[k].exit_code != 0)
			pick = k;
	if (pick < 0)
		wn_err(err, errlen, "failed");
	else if (res[pick].signo)
		wn_err(err, errlen, "%s killed by signal %d", c->argv[pick][0], res[pick].signo);
	else
		wn_err(err, errlen, "%s exited %d", c->argv[pick][0], res[pick].exit_code);
}

static int attempt_once(struct wn_plan *pl, struct wn_task *t, const char *input, int attempt, int attempts,
			int logfd, char *err, size_t errlen)
{
	const struct wn_pl_step *st = &pl->p->steps[t->step];
	const struct wn_pipeline *p = pl->p;
	/* Temporary names carry no PID: one process runs a task at a time (the
	 * work dir is locked, and clean_task_temps() removes what a killed
	 * attempt left), and stages record their arguments (winnow-pack's
	 * manifest holds its command line), so stable names keep reruns and
	 * Slurm runs byte-identical to local ones. */
	const char *tag = "w";
	char *tmpbase = wn_task_path(pl, t, "tmp");
	char *tb2 = xasprintf("%s-%s", tmpbase, tag);
	free(tmpbase);
	tmpbase = tb2;
	char *tmpout = NULL;
	if (!st->capture) {
		if (st->barrier && st->output) {
			char *dir = dirname_of(t->output);
			tmpout = xasprintf("%s/.tmp-%s.%s", dir, tag, basename_of(t->output));
			free(dir);
		} else {
			tmpout = xasprintf("%s.%s", tmpbase, st->ext);
		}
	}
	struct chain c;
	build_chain(pl, t, input, tmpout ? tmpout : t->output, tmpbase, &c);
	dprintf(logfd, "# winnow-run: %s task %d attempt %d/%d\n", st->name, t->index, attempt, attempts);
	for (int k = 0; k < c.n; k++) {
		char *d = wn_argv_display(c.argv[k]);
		dprintf(logfd, "# %s%s\n", k ? "| " : "", d);
		free(d);
	}
	struct wn_writer *w = NULL;
	err[0] = '\0';
	/* outputs appear by rename(): never over a device, FIFO or socket (such
	 * as /dev/null), which a rename would silently replace by a file */
	struct stat osb;
	if (lstat(t->output, &osb) == 0 && !S_ISREG(osb.st_mode) && !S_ISDIR(osb.st_mode)) {
		wn_err(err, errlen, "output '%s' exists and is not a regular file or directory", t->output);
		chain_release(&c);
		free(tmpout);
		free(tmpbase);
		return 1;
	}
	if (st->capture) {
		/* task outputs in the work directory follow `compress`; a barrier's
		 * named output is compressed by its name, as every stage does */
		if (st->barrier && st->output)
			w = wn_writer_open(t->output, err, errlen);
		else
			w = wn_writer_open_codec(t->output, !strcmp(p->compress, "none") ? "plain" : p->compress, err, errlen);
		if (!w) {
			chain_release(&c);
			free(tmpbase);
			return 1;
		}
	}
	double t0 = wn_now();
	struct stage_result res[WN_PL_MAX_STAGES];
	int rc = run_chain(&c, logfd, w, res, err, errlen);
	double secs = wn_now() - t0;
	if (rc == 1 && !err[0] && bad_records_only(&c, res))
		rc = 0;
	if (rc == 0 && w) {
		rc = wn_writer_commit(w, err, errlen) < 0 ? 1 : 0;
		w = NULL;
	}
	wn_writer_abort(w);
	if (rc == 0 && tmpout)
		rc = commit_output(tmpout, t->output, err, errlen) < 0 ? 1 : 0;
	json_t *stages = json_array();
	for (int k = 0; k < c.n; k++) {
		json_t *s = json_object();
		json_object_set_new(s, "argv", argv_json(c.argv[k]));
		json_object_set_new(s, "exit", res[k].exit_code >= 0 ? json_integer(res[k].exit_code) : json_null());
		if (res[k].signo)
			json_object_set_new(s, "signal", json_integer(res[k].signo));
		json_t *stats = c.stats[k] ? json_load_file(c.stats[k], 0, NULL) : NULL;
		json_object_set_new(s, "stats", stats ? stats : json_null());
		json_array_append_new(stages, s);
	}
	if (rc < 0) {
		/* interrupted: no marker, no partial output */
		json_decref(stages);
		if (tmpout)
			rm_rf(tmpout);
	} else if (rc == 0) {
		json_t *j = task_json(pl, t, attempt);
		json_object_set_new(j, "seconds", json_real(secs));
		char when[32];
		iso_time(when, time(NULL));
		json_object_set_new(j, "finished", json_string(when));
		json_object_set_new(j, "stages", stages);
		char *path = wn_task_path(pl, t, "done.json");
		if (write_json(path, j, err, errlen) < 0)
			rc = 1;
		free(path);
		json_decref(j);
		path = wn_task_path(pl, t, "failed.json");
		unlink(path);
		free(path);
	} else {
		if (tmpout)
			rm_rf(tmpout);
		json_t *j = task_json(pl, t, attempt);
		json_object_set_new(j, "attempts", json_integer(attempts));
		json_object_set_new(j, "seconds", json_real(secs));
		char *log = wn_task_path(pl, t, "log");
		json_object_set_new(j, "log", json_string(log));
		if (!err[0])
			describe_failure(&c, res, err, errlen);
		json_object_set_new(j, "error", json_string(err));
		json_object_set_new(j, "stages", stages);
		char *path = wn_task_path(pl, t, "failed.json");
		char e2[256];
		write_json(path, j, e2, sizeof e2);
		dprintf(logfd, "# winnow-run: attempt %d failed: %s\n", attempt, err);
		free(path);
		free(log);
		json_decref(j);
	}
	free(tmpout);
	free(tmpbase);
	chain_release(&c);
	return rc;
}

int wn_task_exec(struct wn_plan *pl, int ti, int retries, char *err, size_t errlen)
{
	struct wn_task *t = &pl->tasks[ti];
	const struct wn_pl_step *st = &pl->p->steps[t->step];
	for (int d = 0; d < t->ndeps; d++) {
		struct wn_task *u = &pl->tasks[t->deps[d]];
		if (wn_task_scan(pl, u) != WN_TASK_DONE) {
			wn_err(err, errlen, "%s task %d needs %s task %d, which is not done", st->name, t->index,
			       pl->p->steps[u->step].name, u->index);
			return 2;
		}
	}
	char *dir = xasprintf("%s/%s", pl->p->work_dir, st->name);
	if (mkdir_p(dir) < 0) {
		wn_err(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return 1;
	}
	free(dir);
	if (st->barrier && st->output) {
		char *od = dirname_of(t->output);
		int rc = mkdir_p(od);
		free(od);
		if (rc < 0)
			return wn_err(err, errlen, "cannot create the directory of '%s': %s", t->output, strerror(errno)), 1;
	}
	char *done = wn_task_path(pl, t, "done.json");
	unlink(done); /* stale: about to be redone */
	free(done);
	clean_task_temps(pl, t);
	char *logp = wn_task_path(pl, t, "log");
	int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0) {
		wn_err(err, errlen, "cannot create '%s': %s", logp, strerror(errno));
		free(logp);
		return 1;
	}
	free(logp);
	int attempts = (retries < 0 ? pl->p->retries : retries) + 1;
	int rc = 1;
	char *fetched = NULL;
	const char *input = t->input;
	if (input && is_url(input)) {
		/* A stable name (no PID: one process runs a task at a time) that
		 * keeps the URL's file name: stages may look at the extension or
		 * record the path (winnow-ingest's warc_file), and outputs must
		 * not differ from one attempt to the next. */
		char *fdir = wn_task_path(pl, t, "tmp-fetch");
		const char *q = input + strcspn(input, "?#");
		const char *b = q;
		while (b > input && b[-1] != '/')
			b--;
		char name[101];
		size_t n = 0;
		for (; b < q && n < sizeof name - 1; b++)
			name[n++] = isalnum((unsigned char)*b) || strchr("._-", *b) ? *b : '_';
		name[n] = '\0';
		if (mkdir(fdir, 0777) < 0 && errno != EEXIST) {
			wn_err(err, errlen, "cannot create '%s': %s", fdir, strerror(errno));
			free(fdir);
			close(logfd);
			return 1;
		}
		fetched = xasprintf("%s/%s", fdir, n ? name : "input");
		free(fdir);
		struct wn_fetch_opts fo = { .retries = WN_MAX(3, attempts), .logfd = logfd, .cancel = &wn_run_interrupted };
		dprintf(logfd, "# winnow-run: fetching %s\n", input);
		int frc = wn_fetch_url(input, fetched, &fo, err, errlen);
		if (frc < 0 && wn_run_interrupted) {
			/* stopped: like any interrupted attempt, no marker */
			free(fetched);
			clean_task_temps(pl, t);
			close(logfd);
			return 130;
		}
		if (frc < 0) {
			dprintf(logfd, "# winnow-run: %s\n", err);
			json_t *j = task_json(pl, t, 1);
			char *log = wn_task_path(pl, t, "log");
			json_object_set_new(j, "log", json_string(log));
			json_object_set_new(j, "error", json_string(err));
			json_object_set_new(j, "stages", json_array());
			char *path = wn_task_path(pl, t, "failed.json");
			char e2[256];
			write_json(path, j, e2, sizeof e2);
			free(path);
			free(log);
			json_decref(j);
			free(fetched);
			clean_task_temps(pl, t);
			close(logfd);
			return 1;
		}
		input = fetched;
	}
	for (int a = 1; a <= attempts && !wn_run_interrupted; a++) {
		t->attempts = a;
		rc = attempt_once(pl, t, input, a, attempts, logfd, err, errlen);
		if (rc <= 0)
			break;
	}
	if (fetched) {
		unlink(fetched);
		free(fetched);
	}
	clean_task_temps(pl, t);
	close(logfd);
	if (rc < 0 || wn_run_interrupted)
		return 130;
	return rc ? 1 : 0;
}

/* ---------------------------------------------------------------- local executor */

static double task_docs(const struct wn_plan *pl, const struct wn_task *t)
{
	char *path = wn_task_path(pl, t, "done.json");
	json_t *j = json_load_file(path, 0, NULL);
	free(path);
	if (!j)
		return 0;
	json_t *s0 = json_array_get(json_object_get(j, "stages"), 0);
	double d = (double)json_integer_value(json_object_get(json_object_get(s0, "stats"), "docs_in"));
	json_decref(j);
	return d;
}

static void progress(struct wn_plan *pl, double t0, int done0, int ran, int running, int failed, double docs, int final)
{
	int done = 0;
	for (int i = 0; i < pl->ntasks; i++)
		done += pl->tasks[i].state == WN_TASK_DONE;
	double el = wn_now() - t0;
	int left = pl->ntasks - done;
	char eta[32] = "?";
	if (ran > 0 && el > 0) {
		/* tasks finished per second of this run already reflect the parallelism */
		double e = el / ran * left;
		snprintf(eta, sizeof eta, "%d:%02d", (int)(e / 60), (int)e % 60);
	}
	fprintf(stderr, "\rwinnow-run: %d/%d tasks done (%d this run), %d running, %d failed, %.0f docs/s, %d:%02d elapsed, ETA %s   %s",
		done, pl->ntasks, done - done0, running, failed, el > 0 ? docs / el : 0.0, (int)(el / 60), (int)el % 60,
		left ? eta : "0:00", final ? "\n" : "");
	fflush(stderr);
}

int wn_run_local(struct wn_plan *pl, const struct wn_run_opts *o)
{
	const struct wn_pipeline *p = pl->p;
	char err[1024];
	if (mkdir_p(p->work_dir) < 0) {
		fprintf(stderr, "winnow-run: cannot create '%s': %s\n", p->work_dir, strerror(errno));
		return 1;
	}
	/* one runner per work directory (released by the kernel on kill -9) */
	char *lockp = xasprintf("%s/.lock", p->work_dir);
	int lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "winnow-run: another winnow-run is using '%s' (%s)\n", p->work_dir, lockp);
		free(lockp);
		if (lockfd >= 0)
			close(lockfd);
		return 1;
	}
	free(lockp);
	wn_plan_scan(pl);
	for (int i = 0; i < pl->ntasks; i++)
		if (pl->tasks[i].state == WN_TASK_FAILED)
			pl->tasks[i].state = WN_TASK_PENDING;
	int workers = o->workers > 0 ? o->workers : p->workers;
	double start = wn_now();
	struct timespec ts0, ts1;
	clock_gettime(CLOCK_REALTIME, &ts0);
	double wall0 = (double)ts0.tv_sec + ts0.tv_nsec / 1e9;
	wn_write_run_json(pl, "local", wall0, 0, "running", err, sizeof err);
	int done0 = 0;
	for (int i = 0; i < pl->ntasks; i++)
		done0 += pl->tasks[i].state == WN_TASK_DONE;
	pid_t *pids = wn_xcalloc((size_t)workers, sizeof *pids);
	int *slot_task = wn_xcalloc((size_t)workers, sizeof *slot_task);
	int running = 0, ran = 0, nfailed = 0;
	double docs = 0, last_tick = 0;
	pid_t parent = getpid();
	int lo = 0; /* tasks before lo are no longer pending: scans start here */
	for (;;) {
		while (lo < pl->ntasks && pl->tasks[lo].state != WN_TASK_PENDING)
			lo++;
		/* tasks whose upstream failed will not run */
		for (int i = lo; i < pl->ntasks; i++) {
			struct wn_task *t = &pl->tasks[i];
			if (t->state != WN_TASK_PENDING)
				continue;
			for (int d = 0; d < t->ndeps; d++) {
				enum wn_task_state s = pl->tasks[t->deps[d]].state;
				if (s == WN_TASK_FAILED || s == WN_TASK_BLOCKED) {
					t->state = WN_TASK_BLOCKED;
					break;
				}
			}
		}
		while (running < workers && !wn_run_interrupted) {
			int pick = -1;
			for (int i = lo; i < pl->ntasks && pick < 0; i++) {
				struct wn_task *t = &pl->tasks[i];
				if (t->state != WN_TASK_PENDING)
					continue;
				int ready = 1;
				for (int d = 0; d < t->ndeps && ready; d++)
					ready = pl->tasks[t->deps[d]].state == WN_TASK_DONE;
				if (ready)
					pick = i;
			}
			if (pick < 0)
				break;
			int slot = 0;
			while (pids[slot])
				slot++;
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				fprintf(stderr, "winnow-run: fork: %s\n", strerror(errno));
				break;
			}
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() != parent)
					_exit(130);
				char e[1024] = "";
				int rc = wn_task_exec(pl, pick, o->retries, e, sizeof e);
				if (rc && rc != 130 && e[0])
					fprintf(stderr, "%swinnow-run: %s task %d: %s\n", o->progress ? "\n" : "",
						p->steps[pl->tasks[pick].step].name, pl->tasks[pick].index, e);
				fflush(NULL);
				_exit(rc);
			}
			pids[slot] = pid;
			slot_task[slot] = pick;
			pl->tasks[pick].state = WN_TASK_RUNNING;
			running++;
		}
		if (running == 0)
			break;
		if (wn_run_interrupted) {
			for (int s = 0; s < workers; s++)
				if (pids[s])
					kill(pids[s], SIGTERM);
		}
		int status;
		pid_t w = waitpid(-1, &status, o->progress ? WNOHANG : 0);
		if (w == 0) {
			/* keep the progress line (elapsed time, ETA) alive during long tasks */
			struct timespec ts = { 0, 200000000 };
			nanosleep(&ts, NULL);
			if (o->progress && wn_now() - last_tick >= 1.0) {
				progress(pl, start, done0, ran, running, nfailed, docs, 0);
				last_tick = wn_now();
			}
			continue;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int s = 0; s < workers; s++) {
			if (pids[s] != w)
				continue;
			struct wn_task *t = &pl->tasks[slot_task[s]];
			pids[s] = 0;
			running--;
			ran++;
			t->state = wn_task_scan(pl, t);
			if (t->state == WN_TASK_DONE)
				docs += task_docs(pl, t);
			else if (wn_run_interrupted)
				t->state = WN_TASK_PENDING;
			else {
				t->state = WN_TASK_FAILED;
				nfailed++;
			}
		}
		if (o->progress) {
			progress(pl, start, done0, ran, running, nfailed, docs, 0);
			last_tick = wn_now();
		}
	}
	if (o->progress)
		progress(pl, start, done0, ran, running, nfailed, docs, 1);
	free(pids);
	free(slot_task);
	const char *status = wn_run_interrupted ? "interrupted" : nfailed ? "failed" : "done";
	int blocked = 0;
	for (int i = 0; i < pl->ntasks; i++)
		blocked += pl->tasks[i].state == WN_TASK_BLOCKED;
	clock_gettime(CLOCK_REALTIME, &ts1);
	if (wn_write_run_json(pl, "local", wall0, (double)ts1.tv_sec + ts1.tv_nsec / 1e9, status, err, sizeof err) < 0)
		fprintf(stderr, "winnow-run: %s\n", err);
	if (!o->no_report && !wn_run_interrupted)
		wn_run_report(pl);
	close(lockfd);
	if (wn_run_interrupted) {
		fprintf(stderr, "winnow-run: interrupted; completed tasks are kept, rerun to resume\n");
		return 130;
	}
	if (nfailed) {
		fprintf(stderr, "winnow-run: %d task%s failed", nfailed, nfailed > 1 ? "s" : "");
		if (blocked)
			fprintf(stderr, " (%d task%s downstream not run)", blocked, blocked > 1 ? "s" : "");
		fprintf(stderr, ":\n");
		for (int i = 0; i < pl->ntasks; i++) {
			struct wn_task *t = &pl->tasks[i];
			if (t->state != WN_TASK_FAILED)
				continue;
			char *log = wn_task_path(pl, t, "log");
			fprintf(stderr, "  %s task %d (%s): log %s\n", p->steps[t->step].name, t->index,
				t->input ? t->input : "barrier", log);
			free(log);
		}
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- reports */

void wn_plan_print(struct wn_plan *pl, FILE *f)
{
	wn_plan_scan(pl);
	int shown = 0;
	for (int i = 0; i < pl->ntasks; i++) {
		struct wn_task *t = &pl->tasks[i];
		if (t->state == WN_TASK_DONE)
			continue;
		const struct wn_pl_step *st = &pl->p->steps[t->step];
		struct chain c;
		build_chain(pl, t, t->input, t->output, NULL, &c);
		fprintf(f, "# %s task %d%s%s\n", st->name, t->index, t->input ? ": " : "", t->input ? t->input : "");
		for (int k = 0; k < c.n; k++) {
			char *d = wn_argv_display(c.argv[k]);
			fprintf(f, "%s%s", k ? " | " : "", d);
			free(d);
		}
		if (st->capture)
			fprintf(f, " > %s", t->output);
		fputc('\n', f);
		chain_release(&c);
		shown++;
	}
	if (!shown)
		fprintf(f, "# nothing to do: every task is done\n");
}

void wn_plan_status(struct wn_plan *pl, FILE *f)
{
	wn_plan_scan(pl);
	fprintf(f, "%-20s %7s %7s %7s %7s\n", "step", "tasks", "done", "failed", "pending");
	int tot[4] = { 0 };
	for (int s = 0; s < pl->p->nsteps; s++) {
		int d = 0, fl = 0, pe = 0;
		for (int k = 0; k < pl->count[s]; k++) {
			enum wn_task_state st = pl->tasks[pl->first[s] + k].state;
			d += st == WN_TASK_DONE;
			fl += st == WN_TASK_FAILED;
			pe += st != WN_TASK_DONE && st != WN_TASK_FAILED;
		}
		fprintf(f, "%-20s %7d %7d %7d %7d\n", pl->p->steps[s].name, pl->count[s], d, fl, pe);
		tot[0] += pl->count[s], tot[1] += d, tot[2] += fl, tot[3] += pe;
	}
	fprintf(f, "%-20s %7d %7d %7d %7d\n", "total", tot[0], tot[1], tot[2], tot[3]);
	for (int i = 0; i < pl->ntasks; i++) {
		struct wn_task *t = &pl->tasks[i];
		if (t->state != WN_TASK_FAILED)
			continue;
		char *log = wn_task_path(pl, t, "log");
		fprintf(f, "failed: %s task %d (%s): log %s\n", pl->p->steps[t->step].name, t->index,
			t->input ? t->input : "barrier", log);
		free(log);
	}
}

int wn_write_run_json(struct wn_plan *pl, const char *executor, double start, double end, const char *status,
		      char *err, size_t errlen)
{
	const struct wn_pipeline *p = pl->p;
	if (mkdir_p(p->work_dir) < 0)
		return wn_err(err, errlen, "cannot create '%s': %s", p->work_dir, strerror(errno));
	json_t *j = json_object();
	char t[32];
	json_object_set_new(j, "name", json_string(p->name));
	char *abs = realpath(p->path, NULL);
	json_object_set_new(j, "pipeline", json_string(abs ? abs : p->path));
	free(abs);
	json_object_set_new(j, "work_dir", json_string(p->work_dir));
	json_object_set_new(j, "output_dir", json_string(p->output_dir));
	json_object_set_new(j, "executor", json_string(executor));
	json_object_set_new(j, "status", json_string(status));
	iso_time(t, (time_t)start);
	json_object_set_new(j, "start", json_string(t));
	if (end > 0) {
		iso_time(t, (time_t)end);
		json_object_set_new(j, "end", json_string(t));
		json_object_set_new(j, "seconds", json_real(end - start));
	} else {
		json_object_set_new(j, "end", json_null());
	}
	json_object_set_new(j, "inputs", json_integer(pl->ninputs));
	json_t *steps = json_array();
	wn_plan_scan(pl);
	for (int s = 0; s < p->nsteps; s++) {
		int d = 0, fl = 0;
		for (int k = 0; k < pl->count[s]; k++) {
			enum wn_task_state st = pl->tasks[pl->first[s] + k].state;
			d += st == WN_TASK_DONE;
			fl += st == WN_TASK_FAILED;
		}
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(p->steps[s].name));
		json_object_set_new(o, "barrier", json_boolean(p->steps[s].barrier));
		json_object_set_new(o, "from", json_string(p->steps[s].from < 0 ? "inputs" : p->steps[p->steps[s].from].name));
		char *sp = step_path(pl, s);
		json_object_set_new(o, "output", json_string(sp));
		free(sp);
		json_object_set_new(o, "tasks", json_integer(pl->count[s]));
		json_object_set_new(o, "done", json_integer(d));
		json_object_set_new(o, "failed", json_integer(fl));
		json_object_set_new(o, "pending", json_integer(pl->count[s] - d - fl));
		json_array_append_new(steps, o);
	}
	json_object_set_new(j, "steps", steps);
	char *path = xasprintf("%s/run.json", p->work_dir);
	int rc = write_json(path, j, err, errlen);
	free(path);
	json_decref(j);
	return rc;
}

void wn_run_report(struct wn_plan *pl)
{
	char *prog = pl->self_dir[0] ? xasprintf("%s/winnow-report", pl->self_dir) : NULL;
	if (!prog || access(prog, X_OK) != 0) {
		free(prog);
		return;
	}
	if (mkdir_p(pl->p->output_dir) < 0) {
		free(prog);
		return;
	}
	char *out = xasprintf("%s/report.html", pl->p->output_dir);
	char *argv[] = { prog, pl->p->work_dir, "-o", out, NULL };
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		execv(prog, argv);
		_exit(127);
	}
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "winnow-run: warning: winnow-report failed; no %s\n", out);
	free(out);
	free(prog);
}

int wn_plan_check_programs(const struct wn_plan *pl, char *err, size_t errlen)
{
	const struct wn_pipeline *p = pl->p;
	for (int s = 0; s < p->nsteps; s++) {
		for (int k = 0; k < p->steps[s].nstages; k++) {
			const struct wn_pl_cmd *c = &p->steps[s].stages[k];
			char *prog = wn_find_program(pl, c->argv[0]);
			if (!prog)
				return wn_err(err, errlen, "%s:%d:%d: step '%s': program '%s' not found (%s)", p->path, c->line,
					      c->col, p->steps[s].name, c->argv[0],
					      strchr(c->argv[0], '/') ? "no such executable"
								      : "not beside winnow-run, not on PATH");
			free(prog);
		}
	}
	return 0;
}
