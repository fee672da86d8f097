/* test_runner.c -- task planning, definition hashes (what a change
 * invalidates), running one task with system programs (cat, tr, cp,
 * false), markers, and staleness after an upstream redo. */
#include "io.h"
#include "runner.h"
#include "tap.h"

#include <jansson.h>
#include <sys/stat.h>
#include <time.h>

static char dir[256];

static void write_file(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path)
{
	char err[256];
	struct wn_reader *r = wn_reader_open(path, err, sizeof err);
	if (!r)
		return strdup("(unreadable)");
	static char buf[65536];
	ssize_t n = wn_reader_read(r, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = '\0';
	wn_reader_free(r);
	return strdup(buf);
}

static const char yaml[] =
	"inputs: [\"in/*.txt\"]\n"
	"output_dir: out\n"
	"steps:\n"
	"  - name: up\n"
	"    stages: [[cat], [tr, a-z, A-Z]]\n"
	"  - name: copy\n"
	"    stages: [[cp, \"{input}\", \"{output}\"]]\n"
	"    ext: txt.zst\n"
	"  - name: all\n"
	"    barrier: true\n"
	"    from: copy\n"
	"    command: [cat, \"{inputs}\"]\n"
	"    output: all.txt\n";

static struct wn_pipeline *load(const char *y)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/p.yaml", dir);
	struct wn_pipeline *p = wn_pipeline_load_mem(y, strlen(y), path, err, sizeof err);
	if (!p)
		printf("# %s\n", err);
	return p;
}

TEST(plans_tasks_and_paths)
{
	struct wn_pipeline *p = load(yaml);
	struct wn_plan pl;
	char err[512];
	CHECK(p && wn_plan_build(&pl, p, err, sizeof err) == 0);
	CHECK_EQ_INT(pl.ninputs, 3);
	CHECK_EQ_INT(pl.ntasks, 7);
	CHECK_EQ_INT(pl.count[0], 3);
	CHECK_EQ_INT(pl.count[2], 1);
	char exp[512];
	snprintf(exp, sizeof exp, "%s/in/b.txt", dir);
	CHECK_EQ_STR(pl.tasks[1].input, exp);
	snprintf(exp, sizeof exp, "%s/out/work/up/00001.jsonl.zst", dir);
	CHECK_EQ_STR(pl.tasks[1].output, exp);
	CHECK_EQ_STR(pl.tasks[4].input, exp); /* copy reads up's output */
	snprintf(exp, sizeof exp, "%s/out/all.txt", dir);
	CHECK_EQ_STR(pl.tasks[6].output, exp);
	CHECK_EQ_INT(pl.tasks[6].ndeps, 3);
	CHECK_EQ_INT(pl.tasks[4].ndeps, 1);
	CHECK_EQ_INT(pl.tasks[4].deps[0], 1);
	for (int i = 0; i < 7; i++)
		for (int j = 0; j < i; j++)
			CHECK(strcmp(pl.tasks[i].def_hash, pl.tasks[j].def_hash) != 0);
	CHECK_EQ_INT(wn_plan_find(&pl, 1, 2), 5);
	CHECK_EQ_INT(wn_plan_find(&pl, 1, 3), -1);
	wn_plan_release(&pl);
	wn_pipeline_free(p);
}

TEST(a_changed_flag_invalidates_its_step_and_downstream_only)
{
	struct wn_pipeline *p = load(yaml), *q;
	struct wn_plan a, b;
	char err[512];
	char y2[sizeof yaml + 16];
	snprintf(y2, sizeof y2, "%s", yaml);
	char *at = strstr(y2, "[cp, ");
	memcpy(at, "[cp, -p, ", 9);
	snprintf(at + 9, sizeof y2 - (size_t)(at + 9 - y2), "%s", strstr(yaml, "[cp, ") + 5);
	q = load(y2);
	CHECK(p && q);
	CHECK(wn_plan_build(&a, p, err, sizeof err) == 0 && wn_plan_build(&b, q, err, sizeof err) == 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_STR(a.tasks[i].def_hash, b.tasks[i].def_hash);
	for (int i = 3; i < 7; i++)
		CHECK(strcmp(a.tasks[i].def_hash, b.tasks[i].def_hash) != 0);
	wn_plan_release(&b);
	/* a new input file at the end: old tasks keep their hashes, the barrier changes */
	write_file("in/d.txt", "delta\n");
	CHECK(wn_plan_build(&b, p, err, sizeof err) == 0);
	CHECK_EQ_INT(b.ntasks, 9);
	CHECK_EQ_STR(a.tasks[0].def_hash, b.tasks[0].def_hash);
	CHECK_EQ_STR(a.tasks[5].def_hash, b.tasks[6].def_hash); /* copy task 2 */
	CHECK(strcmp(a.tasks[6].def_hash, b.tasks[8].def_hash) != 0);
	wn_plan_release(&b);
	char path[512];
	snprintf(path, sizeof path, "%s/in/d.txt", dir);
	unlink(path);
	/* same definition, same hashes (deterministic) */
	CHECK(wn_plan_build(&b, p, err, sizeof err) == 0);
	for (int i = 0; i < 7; i++)
		CHECK_EQ_STR(a.tasks[i].def_hash, b.tasks[i].def_hash);
	wn_plan_release(&a);
	wn_plan_release(&b);
	wn_pipeline_free(p);
	wn_pipeline_free(q);
}

TEST(runs_tasks_and_writes_markers)
{
	struct wn_pipeline *p = load(yaml);
	struct wn_plan pl;
	char err[512] = "";
	CHECK(p && wn_plan_build(&pl, p, err, sizeof err) == 0);
	/* a downstream task refuses to run before its input is done */
	CHECK_EQ_INT(wn_task_exec(&pl, 3, 0, err, sizeof err), 2);
	for (int i = 0; i < 6; i++)
		CHECK_EQ_INT(wn_task_exec(&pl, i, 0, err, sizeof err), 0);
	CHECK_EQ_INT(wn_task_exec(&pl, 6, 0, err, sizeof err), 0);
	char *s = read_all(pl.tasks[0].output);
	CHECK_EQ_STR(s, "ALPHA\n");
	free(s);
	s = read_all(pl.tasks[5].output); /* cp of a zstd file: still zstd, read back decoded */
	CHECK_EQ_STR(s, "CHARLIE\n");
	free(s);
	s = read_all(pl.tasks[6].output);
	CHECK_EQ_STR(s, "ALPHA\nBRAVO\nCHARLIE\n");
	free(s);
	char *m = wn_task_path(&pl, &pl.tasks[1], "done.json");
	json_t *j = json_load_file(m, 0, NULL);
	CHECK(j != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(j, "def_hash")), pl.tasks[1].def_hash);
	CHECK_EQ_STR(json_string_value(json_object_get(j, "step")), "up");
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "task")), 1);
	CHECK_EQ_INT(json_array_size(json_object_get(j, "stages")), 2);
	CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(json_array_get(json_object_get(j, "stages"), 1), "argv"), 0)), "tr");
	json_decref(j);
	free(m);
	wn_plan_scan(&pl);
	for (int i = 0; i < 7; i++)
		CHECK_EQ_INT(pl.tasks[i].state, WN_TASK_DONE);
	/* redo an upstream task: everything downstream of it is stale */
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ_INT(wn_task_exec(&pl, 2, 0, err, sizeof err), 0);
	wn_plan_scan(&pl);
	CHECK_EQ_INT(pl.tasks[2].state, WN_TASK_DONE);
	CHECK_EQ_INT(pl.tasks[5].state, WN_TASK_PENDING);
	CHECK_EQ_INT(pl.tasks[6].state, WN_TASK_PENDING);
	CHECK_EQ_INT(pl.tasks[4].state, WN_TASK_DONE);
	CHECK(!wn_task_fresh(&pl, &pl.tasks[5]));
	CHECK(wn_task_fresh(&pl, &pl.tasks[4]));
	wn_plan_release(&pl);
	wn_pipeline_free(p);
}

TEST(a_failing_task_leaves_failed_json_and_no_output)
{
	struct wn_pipeline *p = load("inputs: [\"in/a.txt\"]\noutput_dir: out2\nsteps:\n"
				     "  - {name: f, stages: [[cat], [false]]}\n"
				     "  - {name: g, stages: [[/nonexistent/prog]]}\n");
	struct wn_plan pl;
	char err[512] = "";
	CHECK(p && wn_plan_build(&pl, p, err, sizeof err) == 0);
	CHECK_EQ_INT(wn_task_exec(&pl, 0, 1, err, sizeof err), 1);
	CHECK_EQ_STR(err, "false exited 1");
	struct stat sb;
	CHECK(stat(pl.tasks[0].output, &sb) < 0);
	char *m = wn_task_path(&pl, &pl.tasks[0], "failed.json");
	json_t *j = json_load_file(m, 0, NULL);
	CHECK(j != NULL);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "attempt")), 2); /* one retry */
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(json_object_get(j, "stages"), 1), "exit")), 1);
	CHECK(strstr(json_string_value(json_object_get(j, "log")), "/out2/work/f/00000.log") != NULL);
	json_decref(j);
	free(m);
	CHECK_EQ_INT(wn_task_scan(&pl, &pl.tasks[0]), WN_TASK_FAILED);
	wn_plan_release(&pl);
	wn_pipeline_free(p);
}

TEST(never_renames_over_a_device)
{
	struct wn_pipeline *p = load("inputs: [\"in/a.txt\"]\noutput_dir: out3\nsteps:\n"
				     "  - {name: n, barrier: true, command: [cat, \"{inputs}\"], output: /dev/null}\n");
	struct wn_plan pl;
	char err[512] = "";
	CHECK(p && wn_plan_build(&pl, p, err, sizeof err) == 0);
	CHECK_EQ_INT(wn_task_exec(&pl, 0, 0, err, sizeof err), 1);
	CHECK_EQ_STR(err, "output '/dev/null' exists and is not a regular file or directory");
	struct stat sb;
	CHECK(stat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode));
	wn_plan_release(&pl);
	wn_pipeline_free(p);
}

TEST(argv_display_quotes_for_the_shell)
{
	char *argv[] = { "winnow-cat", "a b", "it's", "{x}", "", "plain-1.0", NULL };
	char *s = wn_argv_display(argv);
	CHECK_EQ_STR(s, "winnow-cat 'a b' 'it'\\''s' '{x}' '' plain-1.0");
	free(s);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/winnow-test-runner.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	char sub[300];
	snprintf(sub, sizeof sub, "%s/in", dir);
	mkdir(sub, 0777);
	write_file("in/a.txt", "alpha\n");
	write_file("in/b.txt", "bravo\n");
	write_file("in/c.txt", "charlie\n");
	RUN(plans_tasks_and_paths);
	RUN(a_changed_flag_invalidates_its_step_and_downstream_only);
	RUN(runs_tasks_and_writes_markers);
	RUN(a_failing_task_leaves_failed_json_and_no_output);
	RUN(never_renames_over_a_device);
	RUN(argv_display_quotes_for_the_shell);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
