/*
 * pipeline.c -- pipeline.yaml through libyaml's document API (which keeps a
 * line and column for every node), then a walk that builds wn_pipeline and
 * checks each value. The first error stops the walk; its message carries
 * the position of the offending node.
 */
#include "io.h"
#include "pipeline.h"
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* Aliases can make a small file expand into a huge tree ("billion
 * laughs"); the schema is small, so a cap on visited nodes is harmless. */
#define MAX_NODES 200000

struct ld {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	long visited;
	struct wn_pipeline *p;
};

static int fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...) WN_PRINTF(3, 4);
static int fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	if (l->failed)
		return -1;
	l->failed = 1;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	wn_err(l->err, l->errlen, "%s:%lu:%lu: %s", l->path, n ? (unsigned long)n->start_mark.line + 1 : 1UL,
	       n ? (unsigned long)n->start_mark.column + 1 : 1UL, msg);
	return -1;
}

static yaml_node_t *node(struct ld *l, int id)
{
	if (++l->visited > MAX_NODES) {
		fail_at(l, NULL, "document too large (more than %d nodes after alias expansion)", MAX_NODES);
		return NULL;
	}
	return yaml_document_get_node(&l->doc, id);
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* A scalar's text, or NULL (error reported) for other node kinds. NUL bytes
 * inside a scalar are rejected: they would silently cut arguments. */
static const char *get_str(struct ld *l, yaml_node_t *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(l, n, "%s must be a string, not %s", what, kind(n));
		return NULL;
	}
	if (strlen((char *)n->data.scalar.value) != n->data.scalar.length) {
		fail_at(l, n, "%s contains a NUL byte", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static const char *get_nonempty(struct ld *l, yaml_node_t *n, const char *what)
{
	const char *s = get_str(l, n, what);
	if (s && !*s) {
		fail_at(l, n, "%s must not be empty", what);
		return NULL;
	}
	return s;
}

static int get_int(struct ld *l, yaml_node_t *n, const char *what, int min, int *out)
{
	const char *s = get_str(l, n, what);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > INT_MAX || !(isdigit((unsigned char)*s) || *s == '-'))
		return fail_at(l, n, "%s must be an integer >= %d, not '%s'", what, min, s);
	*out = (int)v;
	return 0;
}

static int get_bool(struct ld *l, yaml_node_t *n, const char *what, int *out)
{
	const char *s = get_str(l, n, what);
	if (!s)
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "True"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "False"))
		*out = 0;
	else
		return fail_at(l, n, "%s must be true or false, not '%s'", what, s);
	return 0;
}

static int need_kind(struct ld *l, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (!n)
		return -1;
	if (n->type != t)
		return fail_at(l, n, "%s must be %s, not %s", what,
			       t == YAML_SEQUENCE_NODE ? "a list" : t == YAML_MAPPING_NODE ? "a mapping" : "a scalar", kind(n));
	return 0;
}

/* A list of strings (a single scalar is not accepted: argv typos such as
 * `command: winnow-pack x` would otherwise be split guesswork). */
static int get_strlist(struct ld *l, yaml_node_t *n, const char *what, char ***out, int *count, int nonempty_items)
{
	if (need_kind(l, n, YAML_SEQUENCE_NODE, what) < 0)
		return -1;
	yaml_node_item_t *it;
	int cnt = 0;
	char **v = wn_xcalloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1, sizeof *v);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const char *s = nonempty_items ? get_nonempty(l, node(l, *it), what) : get_str(l, node(l, *it), what);
		if (!s) {
			for (int i = 0; i < cnt; i++)
				free(v[i]);
			free(v);
			return -1;
		}
		v[cnt++] = wn_xstrdup(s);
	}
	*out = v;
	*count = cnt;
	return 0;
}

static char *resolve(const struct wn_pipeline *p, const char *s)
{
	if (s[0] == '/')
		return wn_xstrdup(s);
	struct wn_buf b = WN_BUF_INIT;
	wn_buf_addf(&b, "%s/%s", p->dir, s);
	return wn_buf_detach(&b, NULL);
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

int wn_pl_has(const char *s, const char *ph)
{
	return strstr(s, ph) != NULL;
}

int wn_pipeline_step(const struct wn_pipeline *p, const char *name)
{
	for (int i = 0; i < p->nsteps; i++)
		if (p->steps[i].name && !strcmp(p->steps[i].name, name))
			return i;
	return -1;
}

/* Iterate over a mapping's pairs, checking keys against a list. */
#define FOR_PAIRS(l, map, pr) \
	for (yaml_node_pair_t *pr = (map)->data.mapping.pairs.start; pr < (map)->data.mapping.pairs.top && !(l)->failed; pr++)

static const char *key_of(struct ld *l, yaml_node_t *map, yaml_node_pair_t *pr, const char *const *allowed,
			  const char *where)
{
	yaml_node_t *k = node(l, pr->key);
	const char *s = get_str(l, k, "a key");
	if (!s)
		return NULL;
	for (int i = 0; allowed[i]; i++) {
		if (strcmp(allowed[i], s))
			continue;
		/* YAML forbids duplicate keys but libyaml does not check; a second
		 * value would silently win, so say so. Allowed keys are few, so
		 * this loop is short before an error stops the walk. */
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *k2 = yaml_document_get_node(&l->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE && !strcmp((char *)k2->data.scalar.value, s)) {
				fail_at(l, k, "duplicate key '%s' in %s", s, where);
				return NULL;
			}
		}
		return s;
	}
	struct wn_buf b = WN_BUF_INIT;
	for (int i = 0; allowed[i]; i++)
		wn_buf_addf(&b, "%s%s", i ? ", " : "", allowed[i]);
	fail_at(l, k, "unknown key '%s' in %s (known: %s)", s, where, b.data);
	wn_buf_release(&b);
	return NULL;
}

static int check_time(const char *s)
{
	/* Slurm accepts MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS */
	int colons = 0, dash = 0, digits = 0;
	for (const char *c = s; *c; c++) {
		if (isdigit((unsigned char)*c))
			digits++;
		else if (*c == ':' && digits)
			colons++, digits = 0;
		else if (*c == '-' && !dash && !colons && digits)
			dash = 1, digits = 0;
		else
			return 0;
	}
	return digits > 0 && colons <= 2;
}

static int check_mem(const char *s)
{
	const char *c = s;
	while (isdigit((unsigned char)*c))
		c++;
	if (c == s)
		return 0;
	return !*c || (strchr("KMGTkmgt", *c) && !c[1]);
}

static int load_slurm(struct ld *l, yaml_node_t *m)
{
	static const char *const keys[] = { "partition", "time", "cpus_per_task", "mem", "max_array_size",
					    "array_parallel", "extra_args", NULL };
	struct wn_pipeline *p = l->p;
	if (need_kind(l, m, YAML_MAPPING_NODE, "executor.slurm") < 0)
		return -1;
	FOR_PAIRS(l, m, pr) {
		const char *k = key_of(l, m, pr, keys, "executor.slurm");
		yaml_node_t *v = k ? node(l, pr->value) : NULL;
		if (!v)
			return -1;
		const char *s;
		if (!strcmp(k, "partition")) {
			if (!(s = get_nonempty(l, v, "slurm.partition")))
				return -1;
			free(p->partition);
			p->partition = wn_xstrdup(s);
		} else if (!strcmp(k, "time")) {
			if (!(s = get_nonempty(l, v, "slurm.time")))
				return -1;
			if (!check_time(s))
				return fail_at(l, v, "slurm.time '%s' is not a Slurm time (MM, HH:MM:SS, D-HH:MM:SS)", s);
			free(p->time_limit);
			p->time_limit = wn_xstrdup(s);
		} else if (!strcmp(k, "mem")) {
			if (!(s = get_nonempty(l, v, "slurm.mem")))
				return -1;
			if (!check_mem(s))
				return fail_at(l, v, "slurm.mem '%s' must be a number with an optional K/M/G/T suffix", s);
			free(p->mem);
			p->mem = wn_xstrdup(s);
		} else if (!strcmp(k, "cpus_per_task")) {
			if (get_int(l, v, "slurm.cpus_per_task", 1, &p->cpus_per_task) < 0)
				return -1;
		} else if (!strcmp(k, "max_array_size")) {
			if (get_int(l, v, "slurm.max_array_size", 1, &p->max_array_size) < 0)
				return -1;
		} else if (!strcmp(k, "array_parallel")) {
			if (get_int(l, v, "slurm.array_parallel", 0, &p->array_parallel) < 0)
				return -1;
		} else if (!strcmp(k, "extra_args")) {
			if (p->extra_args)
				return fail_at(l, v, "slurm.extra_args given twice");
			if (get_strlist(l, v, "slurm.extra_args", &p->extra_args, &p->nextra_args, 1) < 0)
				return -1;
		}
	}
	return l->failed ? -1 : 0;
}

static int load_executor(struct ld *l, yaml_node_t *m)
{
	static const char *const keys[] = { "type", "workers", "retries", "slurm", NULL };
	struct wn_pipeline *p = l->p;
	if (need_kind(l, m, YAML_MAPPING_NODE, "executor") < 0)
		return -1;
	FOR_PAIRS(l, m, pr) {
		const char *k = key_of(l, m, pr, keys, "executor");
		yaml_node_t *v = k ? node(l, pr->value) : NULL;
		if (!v)
			return -1;
		if (!strcmp(k, "type")) {
			const char *s = get_str(l, v, "executor.type");
			if (!s)
				return -1;
			if (strcmp(s, "local") && strcmp(s, "slurm"))
				return fail_at(l, v, "executor.type must be local or slurm, not '%s'", s);
			free(p->executor);
			p->executor = wn_xstrdup(s);
		} else if (!strcmp(k, "workers")) {
			if (get_int(l, v, "executor.workers", 1, &p->workers) < 0)
				return -1;
		} else if (!strcmp(k, "retries")) {
			if (get_int(l, v, "executor.retries", 0, &p->retries) < 0)
				return -1;
		} else if (load_slurm(l, v) < 0) {
			return -1;
		}
	}
	return l->failed ? -1 : 0;
}

static void add_after(struct wn_pl_step *st, int idx)
{
	for (int i = 0; i < st->nafter; i++)
		if (st->after[i] == idx)
			return;
	st->after = wn_xrealloc(st->after, (size_t)(st->nafter + 1) * sizeof *st->after);
	st->after[st->nafter++] = idx;
}

/* Check the placeholders of one argument of stage `si` of step `idx`. */
static int check_arg(struct ld *l, yaml_node_t *n, int idx, int si, const char *a)
{
	struct wn_pl_step *st = &l->p->steps[idx];
	int last = si == st->nstages - 1;
	if (wn_pl_has(a, "{inputs}")) {
		if (!st->barrier)
			return fail_at(l, n, "{inputs} is only for barrier steps (step '%s' runs per file: use {input})", st->name);
		if (strcmp(a, "{inputs}"))
			return fail_at(l, n, "{inputs} must be a whole argument (it expands to one argument per file)");
	}
	if (wn_pl_has(a, "{input}")) {
		if (st->barrier)
			return fail_at(l, n, "{input} is for per-file steps (step '%s' is a barrier: use {inputs})", st->name);
		if (si != 0)
			return fail_at(l, n, "{input} may only appear in the first stage of a chain");
	}
	if (wn_pl_has(a, "{output}") && !last)
		return fail_at(l, n, "{output} may only appear in the last stage of a chain");
	for (const char *s = strstr(a, "{step:"); s; s = strstr(s + 1, "{step:")) {
		const char *e = strchr(s, '}');
		if (!e)
			return fail_at(l, n, "unterminated {step:NAME} in '%s'", a);
		char *nm = wn_xstrndup(s + 6, (size_t)(e - s - 6));
		int j = wn_pipeline_step(l->p, nm);
		if (j < 0 || j >= idx) {
			fail_at(l, n, "{step:%s}: no earlier step called '%s'", nm, nm);
			free(nm);
			return -1;
		}
		free(nm);
		add_after(st, j);
	}
	return 0;
}

static int load_cmd(struct ld *l, yaml_node_t *n, struct wn_pl_cmd *c, const char *what)
{
	c->line = (int)n->start_mark.line + 1;
	c->col = (int)n->start_mark.column + 1;
	if (get_strlist(l, n, what, &c->argv, &c->argc, 0) < 0)
		return -1;
	if (c->argc == 0)
		return fail_at(l, n, "%s must name a program (an empty list)", what);
	if (!*c->argv[0])
		return fail_at(l, n, "%s: the program name is empty", what);
	return 0;
}

static int load_step(struct ld *l, yaml_node_t *m, int idx)
{
	static const char *const keys[] = { "name", "from", "barrier", "stages", "command", "output", "after", "ext", NULL };
	struct wn_pipeline *p = l->p;
	struct wn_pl_step *st = &p->steps[idx];
	yaml_node_t *from = NULL, *stages = NULL, *command = NULL, *output = NULL, *after = NULL, *ext = NULL;
	st->line = (int)m->start_mark.line + 1;
	st->col = (int)m->start_mark.column + 1;
	st->from = -2;
	if (need_kind(l, m, YAML_MAPPING_NODE, "a step") < 0)
		return -1;
	FOR_PAIRS(l, m, pr) {
		const char *k = key_of(l, m, pr, keys, "a step");
		yaml_node_t *v = k ? node(l, pr->value) : NULL;
		if (!v)
			return -1;
		if (!strcmp(k, "name")) {
			const char *s = get_nonempty(l, v, "step name");
			if (!s)
				return -1;
			if (!valid_name(s))
				return fail_at(l, v, "step name '%s' may hold only letters, digits, '.', '_' and '-'", s);
			if (!strcmp(s, "inputs"))
				return fail_at(l, v, "'inputs' is reserved (it names the pipeline's input files)");
			if (wn_pipeline_step(p, s) >= 0)
				return fail_at(l, v, "a step called '%s' already exists", s);
			st->name = wn_xstrdup(s);
		} else if (!strcmp(k, "barrier")) {
			if (get_bool(l, v, "barrier", &st->barrier) < 0)
				return -1;
		} else if (!strcmp(k, "from")) {
			from = v;
		} else if (!strcmp(k, "stages")) {
			stages = v;
		} else if (!strcmp(k, "command")) {
			command = v;
		} else if (!strcmp(k, "output")) {
			output = v;
		} else if (!strcmp(k, "after")) {
			after = v;
		} else if (!strcmp(k, "ext")) {
			ext = v;
		}
	}
	if (l->failed)
		return -1;
	if (!st->name)
		return fail_at(l, m, "a step needs a name");
	/* from */
	if (from) {
		const char *s = get_nonempty(l, from, "from");
		if (!s)
			return -1;
		if (!strcmp(s, "inputs")) {
			st->from = -1;
		} else {
			int j = wn_pipeline_step(p, s);
			if (j < 0 || j >= idx)
				return fail_at(l, from, "from: no earlier step called '%s'", s);
			if (!st->barrier && p->steps[j].barrier)
				return fail_at(l, from, "from: step '%s' is a barrier; a per-file step reads the inputs or a per-file step", s);
			st->from = j;
		}
	} else if (idx == 0) {
		st->from = -1;
	} else {
		st->from = idx - 1;
		if (!st->barrier && p->steps[idx - 1].barrier)
			return fail_at(l, m, "step '%s' needs from: (the step before it is a barrier)", st->name);
	}
	/* the commands */
	if (st->barrier) {
		if (stages)
			return fail_at(l, stages, "a barrier step runs one command: use command:, not stages:");
		if (!command)
			return fail_at(l, m, "barrier step '%s' needs command:", st->name);
		st->stages = wn_xcalloc(1, sizeof *st->stages);
		st->nstages = 1;
		if (load_cmd(l, command, &st->stages[0], "command") < 0)
			return -1;
	} else {
		if (command)
			return fail_at(l, command, "command: is for barrier steps; a per-file step has stages:");
		if (output)
			return fail_at(l, output, "output: is for barrier steps (per-file outputs live in work_dir)");
		if (!stages)
			return fail_at(l, m, "step '%s' needs stages:", st->name);
		if (need_kind(l, stages, YAML_SEQUENCE_NODE, "stages") < 0)
			return -1;
		int n = (int)(stages->data.sequence.items.top - stages->data.sequence.items.start);
		if (n == 0)
			return fail_at(l, stages, "stages must not be empty");
		if (n > WN_PL_MAX_STAGES)
			return fail_at(l, stages, "a chain has at most %d stages, not %d", WN_PL_MAX_STAGES, n);
		st->stages = wn_xcalloc((size_t)n, sizeof *st->stages);
		for (int i = 0; i < n; i++) {
			yaml_node_t *c = node(l, stages->data.sequence.items.start[i]);
			if (!c)
				return -1;
			st->nstages = i + 1;
			if (load_cmd(l, c, &st->stages[i], "a stage") < 0)
				return -1;
		}
	}
	/* after */
	if (after) {
		char **names;
		int n;
		if (get_strlist(l, after, "after", &names, &n, 1) < 0)
			return -1;
		int bad = -1;
		for (int i = 0; i < n; i++) {
			int j = wn_pipeline_step(p, names[i]);
			if (j < 0 || j >= idx) {
				if (bad < 0)
					bad = i;
				continue;
			}
			add_after(st, j);
		}
		if (bad >= 0)
			fail_at(l, after, "after: no earlier step called '%s'", names[bad]);
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (bad >= 0)
			return -1;
	}
	/* placeholders */
	for (int i = 0; i < st->nstages; i++) {
		yaml_node_t *c = st->barrier ? command : node(l, stages->data.sequence.items.start[i]);
		if (!c)
			return -1;
		for (int a = 0; a < st->stages[i].argc; a++) {
			yaml_node_t *an = node(l, c->data.sequence.items.start[a]);
			if (!an || check_arg(l, an, idx, i, st->stages[i].argv[a]) < 0)
				return -1;
		}
	}
	const struct wn_pl_cmd *lastc = &st->stages[st->nstages - 1];
	st->capture = 1;
	for (int a = 0; a < lastc->argc; a++)
		if (wn_pl_has(lastc->argv[a], "{output}"))
			st->capture = 0;
	/* output and ext */
	if (output) {
		const char *s = get_nonempty(l, output, "output");
		if (!s)
			return -1;
		if (!strncmp(s, "work:", 5)) {
			if (!s[5])
				return fail_at(l, output, "output: 'work:' needs a path after it");
			struct wn_buf b = WN_BUF_INIT;
			wn_buf_addf(&b, "%s/%s", p->work_dir, s + 5);
			st->output = wn_buf_detach(&b, NULL);
		} else if (s[0] == '/') {
			st->output = wn_xstrdup(s);
		} else {
			struct wn_buf b = WN_BUF_INIT;
			wn_buf_addf(&b, "%s/%s", p->output_dir, s);
			st->output = wn_buf_detach(&b, NULL);
		}
	}
	if (ext) {
		const char *s = get_nonempty(l, ext, "ext");
		if (!s)
			return -1;
		for (const char *c = s; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
				return fail_at(l, ext, "ext '%s' may hold only letters, digits, '.', '_' and '-'", s);
		st->ext = wn_xstrdup(s);
	} else if (st->capture) {
		st->ext = wn_xstrdup(!strcmp(p->compress, "zstd") ? "jsonl.zst" : !strcmp(p->compress, "gzip") ? "jsonl.gz" : "jsonl");
	} else {
		st->ext = wn_xstrdup("out");
	}
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d = slash ? wn_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : wn_xstrdup(".");
	if (d[0] == '/')
		return d;
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		return d;
	struct wn_buf b = WN_BUF_INIT;
	if (!strcmp(d, "."))
		wn_buf_adds(&b, cwd);
	else
		wn_buf_addf(&b, "%s/%s", cwd, d);
	free(d);
	return wn_buf_detach(&b, NULL);
}

static int load_root(struct ld *l, yaml_node_t *root)
{
	static const char *const keys[] = { "name", "inputs", "input_list", "work_dir", "output_dir", "compress",
					    "executor", "steps", NULL };
	struct wn_pipeline *p = l->p;
	yaml_node_t *steps = NULL, *work = NULL, *outd = NULL, *inputs = NULL;
	if (!root)
		return fail_at(l, NULL, "empty file (a pipeline needs steps:)");
	if (need_kind(l, root, YAML_MAPPING_NODE, "the pipeline") < 0)
		return -1;
	/* first pass: keys and everything steps depend on */
	FOR_PAIRS(l, root, pr) {
		const char *k = key_of(l, root, pr, keys, "the pipeline");
		yaml_node_t *v = k ? node(l, pr->value) : NULL;
		if (!v)
			return -1;
		const char *s;
		if (!strcmp(k, "name")) {
			if (!(s = get_nonempty(l, v, "name")))
				return -1;
			free(p->name);
			p->name = wn_xstrdup(s);
		} else if (!strcmp(k, "inputs")) {
			inputs = v;
		} else if (!strcmp(k, "input_list")) {
			if (!(s = get_nonempty(l, v, "input_list")))
				return -1;
			free(p->input_list);
			p->input_list = resolve(p, s);
		} else if (!strcmp(k, "work_dir")) {
			work = v;
		} else if (!strcmp(k, "output_dir")) {
			outd = v;
		} else if (!strcmp(k, "compress")) {
			if (!(s = get_str(l, v, "compress")))
				return -1;
			if (strcmp(s, "zstd") && strcmp(s, "gzip") && strcmp(s, "none"))
				return fail_at(l, v, "compress must be zstd, gzip or none, not '%s'", s);
			free(p->compress);
			p->compress = wn_xstrdup(s);
		} else if (!strcmp(k, "executor")) {
			if (load_executor(l, v) < 0)
				return -1;
		} else if (!strcmp(k, "steps")) {
			steps = v;
		}
	}
	if (l->failed)
		return -1;
	if (inputs) {
		if (get_strlist(l, inputs, "inputs", &p->inputs, &p->ninputs, 1) < 0)
			return -1;
		for (int i = 0; i < p->ninputs; i++) {
			char *r = resolve(p, p->inputs[i]);
			free(p->inputs[i]);
			p->inputs[i] = r;
		}
	}
	if (!outd)
		return fail_at(l, root, "output_dir: is required");
	const char *s = get_nonempty(l, outd, "output_dir");
	if (!s)
		return -1;
	p->output_dir = resolve(p, s);
	if (work) {
		if (!(s = get_nonempty(l, work, "work_dir")))
			return -1;
		p->work_dir = resolve(p, s);
	} else {
		struct wn_buf b = WN_BUF_INIT;
		wn_buf_addf(&b, "%s/work", p->output_dir);
		p->work_dir = wn_buf_detach(&b, NULL);
	}
	if (!steps)
		return fail_at(l, root, "steps: is required");
	if (need_kind(l, steps, YAML_SEQUENCE_NODE, "steps") < 0)
		return -1;
	int n = (int)(steps->data.sequence.items.top - steps->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, steps, "steps must not be empty");
	p->steps = wn_xcalloc((size_t)n, sizeof *p->steps);
	for (int i = 0; i < n; i++) {
		p->nsteps = i + 1;
		if (load_step(l, node(l, steps->data.sequence.items.start[i]), i) < 0)
			return -1;
	}
	int uses_inputs = 0;
	for (int i = 0; i < p->nsteps; i++)
		uses_inputs |= p->steps[i].from == -1;
	if (uses_inputs && !p->ninputs && !p->input_list)
		return fail_at(l, root, "the pipeline reads its inputs but names none (inputs: or input_list:)");
	/* barrier outputs must not collide */
	for (int i = 0; i < p->nsteps; i++)
		for (int j = 0; j < i; j++)
			if (p->steps[i].output && p->steps[j].output && !strcmp(p->steps[i].output, p->steps[j].output))
				return fail_at(l, steps, "steps '%s' and '%s' write the same output '%s'", p->steps[j].name,
					       p->steps[i].name, p->steps[i].output);
	return 0;
}

struct wn_pipeline *wn_pipeline_load_mem(const char *text, size_t len, const char *path, char *err, size_t errlen)
{
	struct wn_pipeline *p = wn_xcalloc(1, sizeof *p);
	p->path = wn_xstrdup(path);
	p->dir = dir_of(path);
	p->compress = wn_xstrdup("zstd");
	p->executor = wn_xstrdup("local");
	p->workers = 2;
	p->cpus_per_task = 1;
	p->max_array_size = 1000;
	yaml_parser_t parser;
	struct ld l = { .path = path, .err = err, .errlen = errlen, .p = p };
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		yaml_mark_t mk = parser.problem_mark;
		if (parser.context)
			wn_err(err, errlen, "%s:%lu:%lu: %s %s", path, (unsigned long)mk.line + 1,
			       (unsigned long)mk.column + 1, parser.problem ? parser.problem : "syntax error", parser.context);
		else
			wn_err(err, errlen, "%s:%lu:%lu: %s", path, (unsigned long)mk.line + 1,
			       (unsigned long)mk.column + 1, parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		wn_pipeline_free(p);
		return NULL;
	}
	int rc = load_root(&l, yaml_document_get_root_node(&l.doc));
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	if (rc < 0 || l.failed) {
		wn_pipeline_free(p);
		return NULL;
	}
	if (!p->name) {
		/* default name: the yaml's file name without its extension */
		const char *b = strrchr(path, '/');
		b = b ? b + 1 : path;
		const char *dot = strrchr(b, '.');
		p->name = wn_xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
	}
	return p;
}

struct wn_pipeline *wn_pipeline_load(const char *path, char *err, size_t errlen)
{
	struct wn_buf b = WN_BUF_INIT;
	if (wn_read_file(path, &b, err, errlen) < 0) {
		wn_buf_release(&b);
		return NULL;
	}
	struct wn_pipeline *p = wn_pipeline_load_mem(b.data, b.len, path, err, errlen);
	wn_buf_release(&b);
	return p;
}

static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void wn_pipeline_free(struct wn_pipeline *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nsteps; i++) {
		struct wn_pl_step *st = &p->steps[i];
		free(st->name);
		for (int j = 0; j < st->nstages; j++)
			free_strv(st->stages[j].argv, st->stages[j].argc);
		free(st->stages);
		free(st->output);
		free(st->after);
		free(st->ext);
	}
	free(p->steps);
	free(p->path);
	free(p->dir);
	free(p->name);
	free_strv(p->inputs, p->ninputs);
	free(p->input_list);
	free(p->work_dir);
	free(p->output_dir);
	free(p->compress);
	free(p->executor);
	free(p->partition);
	free(p->time_limit);
	free(p->mem);
	free_strv(p->extra_args, p->nextra_args);
	free(p);
}
