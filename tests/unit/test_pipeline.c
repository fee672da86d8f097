/* test_pipeline.c -- pipeline.yaml loading: defaults, resolution of paths,
 * placeholders, and an error with the right file:line:col for each kind of
 * mistake. */
#include "pipeline.h"
#include "tap.h"

static struct wn_pipeline *load(const char *y, char *err)
{
	err[0] = '\0';
	return wn_pipeline_load_mem(y, strlen(y), "/srv/p/pipe.yaml", err, 512);
}

/* the error for y, which must fail */
static const char *error_of(const char *y)
{
	static char err[512];
	struct wn_pipeline *p = load(y, err);
	if (p) {
		wn_pipeline_free(p);
		return "(loaded)";
	}
	return err;
}

static const char full[] =
	"name: demo\n"
	"inputs:\n"
	"  - data/*.jsonl\n"
	"  - /abs/x.gz\n"
	"input_list: paths.txt.gz\n"
	"work_dir: out/work\n"
	"output_dir: out\n"
	"compress: gzip\n"
	"executor:\n"
	"  type: slurm\n"
	"  workers: 3\n"
	"  retries: 2\n"
	"  slurm: {partition: debug, time: \"1-00:30:00\", cpus_per_task: 4, mem: 2G, max_array_size: 500,\n"
	"          array_parallel: 8, extra_args: [\"--qos=normal\", --exclusive]}\n"
	"steps:\n"
	"  - name: extract\n"
	"    stages:\n"
	"      - [winnow-ingest, --source, cc]\n"
	"      - [winnow-extract]\n"
	"  - name: counts\n"
	"    from: extract\n"
	"    stages: [[winnow-bpe, count, \"{input}\", -o, \"{output}\"]]\n"
	"    ext: counts.json\n"
	"  - name: tokenizer\n"
	"    barrier: true\n"
	"    from: counts\n"
	"    command: [winnow-bpe, train, --counts, \"{inputs}\", -o, \"{output}\"]\n"
	"    output: work:tokenizer\n"
	"  - name: tokenize\n"
	"    from: extract\n"
	"    stages: [[winnow-tokenize, --tokenizer, \"{step:tokenizer}/tokenizer.json\"]]\n"
	"  - name: pack\n"
	"    barrier: true\n"
	"    from: tokenize\n"
	"    after: [counts]\n"
	"    command: [winnow-pack, \"{inputs}\", -o, \"{output}\"]\n"
	"    output: shards\n";

TEST(loads_the_documented_example)
{
	char err[512];
	struct wn_pipeline *p = load(full, err);
	CHECK(p != NULL);
	if (!p) {
		printf("# %s\n", err);
		return;
	}
	CHECK_EQ_STR(p->name, "demo");
	CHECK_EQ_INT(p->ninputs, 2);
	CHECK_EQ_STR(p->inputs[0], "/srv/p/data/*.jsonl");
	CHECK_EQ_STR(p->inputs[1], "/abs/x.gz");
	CHECK_EQ_STR(p->input_list, "/srv/p/paths.txt.gz");
	CHECK_EQ_STR(p->work_dir, "/srv/p/out/work");
	CHECK_EQ_STR(p->output_dir, "/srv/p/out");
	CHECK_EQ_STR(p->compress, "gzip");
	CHECK_EQ_STR(p->executor, "slurm");
	CHECK_EQ_INT(p->workers, 3);
	CHECK_EQ_INT(p->retries, 2);
	CHECK_EQ_STR(p->partition, "debug");
	CHECK_EQ_STR(p->time_limit, "1-00:30:00");
	CHECK_EQ_STR(p->mem, "2G");
	CHECK_EQ_INT(p->cpus_per_task, 4);
	CHECK_EQ_INT(p->max_array_size, 500);
	CHECK_EQ_INT(p->array_parallel, 8);
	CHECK_EQ_INT(p->nextra_args, 2);
	CHECK_EQ_STR(p->extra_args[1], "--exclusive");
	CHECK_EQ_INT(p->nsteps, 5);
	const struct wn_pl_step *s = p->steps;
	CHECK_EQ_INT(s[0].from, -1);
	CHECK_EQ_INT(s[0].nstages, 2);
	CHECK_EQ_STR(s[0].stages[1].argv[0], "winnow-extract");
	CHECK_EQ_INT(s[0].capture, 1);
	CHECK_EQ_STR(s[0].ext, "jsonl.gz"); /* from compress: gzip */
	CHECK_EQ_INT(s[1].from, 0);
	CHECK_EQ_INT(s[1].capture, 0);
	CHECK_EQ_STR(s[1].ext, "counts.json");
	CHECK_EQ_INT(s[2].barrier, 1);
	CHECK_EQ_STR(s[2].output, "/srv/p/out/work/tokenizer");
	CHECK_EQ_INT(s[3].from, 0);
	CHECK_EQ_INT(s[3].nafter, 1); /* {step:tokenizer} is a dependency */
	CHECK_EQ_INT(s[3].after[0], 2);
	CHECK_EQ_STR(s[4].output, "/srv/p/out/shards");
	CHECK_EQ_INT(s[4].nafter, 1);
	CHECK_EQ_INT(s[4].after[0], 1);
	CHECK_EQ_INT(s[4].stages[0].line, 36);
	CHECK_EQ_INT(wn_pipeline_step(p, "pack"), 4);
	CHECK_EQ_INT(wn_pipeline_step(p, "nope"), -1);
	wn_pipeline_free(p);
}

TEST(defaults)
{
	char err[512];
	struct wn_pipeline *p = load("inputs: [a]\noutput_dir: o\nsteps:\n- {name: s, stages: [[cat]]}\n"
				     "- {name: t, stages: [[cat]]}\n", err);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_STR(p->name, "pipe");
	CHECK_EQ_STR(p->work_dir, "/srv/p/o/work");
	CHECK_EQ_STR(p->compress, "zstd");
	CHECK_EQ_STR(p->executor, "local");
	CHECK_EQ_INT(p->workers, 2);
	CHECK_EQ_INT(p->retries, 0);
	CHECK_EQ_INT(p->max_array_size, 1000);
	CHECK_EQ_STR(p->steps[0].ext, "jsonl.zst");
	CHECK_EQ_INT(p->steps[1].from, 0); /* the step before */
	wn_pipeline_free(p);
}

TEST(errors_name_file_line_column)
{
	const char *base = "inputs: [a]\noutput_dir: o\nsteps:\n";
	char y[1024];
#define ERR(steps, expect)                                        \
	do {                                                      \
		snprintf(y, sizeof y, "%s%s", base, steps);       \
		CHECK_EQ_STR(error_of(y), expect);                \
	} while (0)
	ERR("  - name: a\n    stages: [[cat]]\n    bogus: 1\n",
	    "/srv/p/pipe.yaml:6:5: unknown key 'bogus' in a step (known: name, from, barrier, stages, command, output, after, ext)");
	ERR("  - name: a\n    stages: [cat]\n", "/srv/p/pipe.yaml:5:14: a stage must be a list, not a scalar");
	ERR("  - name: a\n    stages: []\n", "/srv/p/pipe.yaml:5:13: stages must not be empty");
	ERR("  - stages: [[cat]]\n", "/srv/p/pipe.yaml:4:5: a step needs a name");
	ERR("  - name: a b\n    stages: [[cat]]\n",
	    "/srv/p/pipe.yaml:4:11: step name 'a b' may hold only letters, digits, '.', '_' and '-'");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: a, stages: [[cat]]}\n",
	    "/srv/p/pipe.yaml:5:12: a step called 'a' already exists");
	ERR("  - {name: a, stages: [[cat, \"{inputs}\"]]}\n",
	    "/srv/p/pipe.yaml:4:30: {inputs} is only for barrier steps (step 'a' runs per file: use {input})");
	ERR("  - {name: a, stages: [[cat], [cat, \"{input}\"]]}\n",
	    "/srv/p/pipe.yaml:4:37: {input} may only appear in the first stage of a chain");
	ERR("  - {name: a, stages: [[cat, \"{output}\"], [cat]]}\n",
	    "/srv/p/pipe.yaml:4:30: {output} may only appear in the last stage of a chain");
	ERR("  - {name: a, stages: [[cat, \"{step:b}\"]]}\n",
	    "/srv/p/pipe.yaml:4:30: {step:b}: no earlier step called 'b'");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: b, barrier: true, command: [cat, \"x{inputs}\"]}\n",
	    "/srv/p/pipe.yaml:5:45: {inputs} must be a whole argument (it expands to one argument per file)");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: b, barrier: yes please, command: [cat]}\n",
	    "/srv/p/pipe.yaml:5:24: barrier must be true or false, not 'yes please'");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: b, barrier: true, stages: [[cat]]}\n",
	    "/srv/p/pipe.yaml:5:38: a barrier step runs one command: use command:, not stages:");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: b, barrier: true, command: [cat]}\n  - {name: c, stages: [[cat]]}\n",
	    "/srv/p/pipe.yaml:6:5: step 'c' needs from: (the step before it is a barrier)");
	ERR("  - {name: a, stages: [[cat]]}\n  - {name: b, barrier: true, command: [cat]}\n  - {name: c, from: b, stages: [[cat]]}\n",
	    "/srv/p/pipe.yaml:6:21: from: step 'b' is a barrier; a per-file step reads the inputs or a per-file step");
	ERR("  - {name: a, stages: [[cat]], after: [a]}\n", "/srv/p/pipe.yaml:4:39: after: no earlier step called 'a'");
	ERR("  - {name: a, stages: [[\"\"]]}\n", "/srv/p/pipe.yaml:4:24: a stage: the program name is empty");
	ERR("  - {name: a, stages: [[cat]], output: x}\n",
	    "/srv/p/pipe.yaml:4:40: output: is for barrier steps (per-file outputs live in work_dir)");
	ERR("  - {name: a, stages: [[cat]], ext: \"a/b\"}\n",
	    "/srv/p/pipe.yaml:4:37: ext 'a/b' may hold only letters, digits, '.', '_' and '-'");
	ERR("  - {name: inputs, stages: [[cat]]}\n",
	    "/srv/p/pipe.yaml:4:12: 'inputs' is reserved (it names the pipeline's input files)");
	ERR("  - {name: a, barrier: true, command: [x, -o, \"{output}\"], output: o}\n"
	    "  - {name: b, barrier: true, command: [x, -o, \"{output}\"], output: o}\n",
	    "/srv/p/pipe.yaml:4:3: steps 'a' and 'b' write the same output '/srv/p/o/o'");
	CHECK_EQ_STR(error_of("output_dir: o\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:1:1: the pipeline reads its inputs but names none (inputs: or input_list:)");
	CHECK_EQ_STR(error_of("inputs: [a]\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:1:1: output_dir: is required");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\n"), "/srv/p/pipe.yaml:1:1: steps: is required");
	CHECK_EQ_STR(error_of("inputs: a\noutput_dir: o\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:1:9: inputs must be a list, not a scalar");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\ncompress: lz4\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:3:11: compress must be zstd, gzip or none, not 'lz4'");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\nexecutor: {type: pbs}\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:3:18: executor.type must be local or slurm, not 'pbs'");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\nexecutor: {retries: -1}\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:3:21: executor.retries must be an integer >= 0, not '-1'");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\nexecutor: {slurm: {mem: lots}}\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:3:25: slurm.mem 'lots' must be a number with an optional K/M/G/T suffix");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\nexecutor: {slurm: {nodes: 2}}\nsteps: [{name: a, stages: [[cat]]}]\n"),
		     "/srv/p/pipe.yaml:3:20: unknown key 'nodes' in executor.slurm (known: partition, time, cpus_per_task, mem, max_array_size, array_parallel, extra_args)");
	CHECK_EQ_STR(error_of("inputs: [a]\noutput_dir: o\nsteps: [{name: a, stages: [[cat]], name: b}]\n"),
		     "/srv/p/pipe.yaml:3:36: duplicate key 'name' in a step");
	CHECK_EQ_STR(error_of("- just\n- a list\n"), "/srv/p/pipe.yaml:1:1: the pipeline must be a mapping, not a list");
	CHECK_EQ_STR(error_of(""), "/srv/p/pipe.yaml:1:1: empty file (a pipeline needs steps:)");
	CHECK_EQ_STR(error_of("steps: [\n"), "/srv/p/pipe.yaml:2:1: did not find expected node content while parsing a flow node");
#undef ERR
}

TEST(alias_bomb_is_refused)
{
	/* each level doubles: 2^20 arguments if expanded */
	char y[4096];
	size_t n = (size_t)snprintf(y, sizeof y, "inputs: [a]\noutput_dir: o\nx0: &a0 [q, q]\n");
	for (int i = 1; i < 20; i++)
		n += (size_t)snprintf(y + n, sizeof y - n, "x%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
	/* the bomb sits under an unknown key first: the error must come quickly either way */
	const char *e = error_of(y);
	CHECK(strstr(e, "unknown key 'x0'") != NULL);
	n = (size_t)snprintf(y, sizeof y, "inputs: [a]\noutput_dir: o\nsteps:\n- name: a\n  stages:\n  - &a0 [q, q]\n");
	for (int i = 1; i < 18; i++)
		n += (size_t)snprintf(y + n, sizeof y - n, "  - &a%d [*a%d, *a%d]\n", i, i - 1, i - 1);
	e = error_of(y);
	CHECK(strstr(e, "must be a string") || strstr(e, "too large") || strstr(e, "at most 16 stages"));
}

TEST(reads_a_file_and_reports_missing_ones)
{
	char err[512];
	struct wn_pipeline *p = wn_pipeline_load("/nonexistent/p.yaml", err, sizeof err);
	CHECK(p == NULL);
	CHECK_EQ_STR(err, "cannot open '/nonexistent/p.yaml': No such file or directory");
}

int main(void)
{
	RUN(loads_the_documented_example);
	RUN(defaults);
	RUN(errors_name_file_line_column);
	RUN(alias_bomb_is_refused);
	RUN(reads_a_file_and_reports_missing_ones);
	return tap_done();
}
