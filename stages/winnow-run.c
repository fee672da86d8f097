/*
 * winnow-run -- run a pipeline.yaml: locally with N workers, or as Slurm
 * jobs; validate it (--check), show what would run (--dry-run), report
 * progress (--status). Not a record stage: it parses its own flags and
 * hands the work to lib/runner.c and lib/slurm.c.
 */
#define _XOPEN_SOURCE 700
#include "pipeline.h"
#include "runner.h"
#include "slurm.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: winnow-run [OPTIONS] PIPELINE.yaml\n"
	"Run a pipeline (docs/pipeline.md): per-file steps as parallel tasks, barrier steps once\n"
	"their inputs are complete; completed tasks are skipped on a rerun.\n"
	"\n"
	"      --executor local|slurm  where tasks run (default: executor.type of the yaml)\n"
	"  -j, --workers N        local tasks at once (default: executor.workers)\n"
	"      --retries N        attempts after a failed one (default: executor.retries)\n"
	"      --check            validate the pipeline and exit (2 on errors, with file:line:col)\n"
	"      --dry-run          print the commands (local) or the sbatch scripts (slurm)\n"
	"      --status           per step: tasks done, failed, pending\n"
	"      --wait             slurm: block until the jobs end; exit 1 if a task failed\n"
	"      --progress         tasks done/total, documents/s, ETA on stderr (default on a terminal)\n"
	"      --no-progress      no progress line\n"
	"      --no-report        do not run winnow-report at the end\n"
	"      --step NAME --task I [--task-offset K]\n"
	"                         run task I+K of step NAME only (what Slurm array tasks do)\n"
	"      --finalize         write WORK/run.json and the report (the last Slurm job)\n"
	"  -h, --help             this help\n"
	"      --version          version\n";

enum { O_EXECUTOR = 256, O_RETRIES, O_CHECK, O_DRY, O_STATUS, O_WAIT, O_PROGRESS, O_NOPROGRESS, O_NOREPORT,
       O_STEP, O_TASK, O_OFFSET, O_FINALIZE, O_VERSION };

static const struct option longopts[] = {
	{ "executor", required_argument, NULL, O_EXECUTOR }, { "workers", required_argument, NULL, 'j' },
	{ "retries", required_argument, NULL, O_RETRIES },   { "check", no_argument, NULL, O_CHECK },
	{ "dry-run", no_argument, NULL, O_DRY },              { "status", no_argument, NULL, O_STATUS },
	{ "wait", no_argument, NULL, O_WAIT },                { "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NOPROGRESS },   { "no-report", no_argument, NULL, O_NOREPORT },
	{ "step", required_argument, NULL, O_STEP },          { "task", required_argument, NULL, O_TASK },
	{ "task-offset", required_argument, NULL, O_OFFSET }, { "finalize", no_argument, NULL, O_FINALIZE },
	{ "help", no_argument, NULL, 'h' },                   { "version", no_argument, NULL, O_VERSION },
	{ 0, 0, 0, 0 },
};

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "winnow-run: %s%s%s%s\nTry 'winnow-run --help'.\n", msg, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	return 2;
}

static int parse_nonneg(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 1000000000)
		return -1;
	*out = (int)v;
	return 0;
}

/* start time of the run from WORK/run.json (for --finalize), else now */
static double run_start(const struct wn_pipeline *p)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/run.json", p->work_dir);
	json_t *j = json_load_file(path, 0, NULL);
	double t = (double)time(NULL);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *s = j ? json_string_value(json_object_get(j, "start")) : NULL;
	if (s && strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		t = (double)timegm(&tm);
	json_decref(j);
	return t;
}

int main(int argc, char **argv)
{
	const char *executor = NULL, *step = NULL;
	int check = 0, dry = 0, status = 0, wait = 0, finalize = 0, task = -1, offset = 0;
	struct wn_run_opts o = { .retries = -1, .progress = isatty(2) };
	int c;
	while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_EXECUTOR:
			if (strcmp(optarg, "local") && strcmp(optarg, "slurm"))
				return bad_usage("--executor must be local or slurm, not", optarg);
			executor = optarg;
			break;
		case 'j':
			if (parse_nonneg(optarg, &o.workers) < 0 || o.workers < 1)
				return bad_usage("-j needs a positive number, not", optarg);
			break;
		case O_RETRIES:
			if (parse_nonneg(optarg, &o.retries) < 0)
				return bad_usage("--retries needs a number >= 0, not", optarg);
			break;
		case O_CHECK: check = 1; break;
		case O_DRY: dry = 1; break;
		case O_STATUS: status = 1; break;
		case O_WAIT: wait = 1; break;
		case O_PROGRESS: o.progress = 1; break;
		case O_NOPROGRESS: o.progress = 0; break;
		case O_NOREPORT: o.no_report = 1; break;
		case O_STEP: step = optarg; break;
		case O_TASK:
			if (parse_nonneg(optarg, &task) < 0)
				return bad_usage("--task needs a number >= 0, not", optarg);
			break;
		case O_OFFSET:
			if (parse_nonneg(optarg, &offset) < 0)
				return bad_usage("--task-offset needs a number >= 0, not", optarg);
			break;
		case O_FINALIZE: finalize = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case O_VERSION: printf("winnow-run %s (%s)\n", WN_VERSION, WN_COMMIT); return 0;
		default: fprintf(stderr, "Try 'winnow-run --help'.\n"); return 2;
		}
	}
	if (optind != argc - 1)
		return bad_usage(optind == argc ? "which pipeline? (PIPELINE.yaml)" : "one pipeline file only; extra", optind == argc ? NULL : argv[optind + 1]);
	if ((step != NULL) != (task >= 0))
		return bad_usage("--step and --task go together", NULL);
	if (check + dry + status + finalize + (step != NULL) > 1)
		return bad_usage("choose one of --check, --dry-run, --status, --finalize, --step", NULL);
	char err[1024];
	struct wn_pipeline *p = wn_pipeline_load(argv[optind], err, sizeof err);
	if (!p) {
		fprintf(stderr, "winnow-run: %s\n", err);
		return 2;
	}
	struct wn_plan pl;
	char snap[4200];
	snprintf(snap, sizeof snap, "%s/slurm/inputs.txt", p->work_dir);
	int from_snap = (step || finalize) && access(snap, R_OK) == 0;
	if ((from_snap ? wn_plan_build_from(&pl, p, snap, err, sizeof err) : wn_plan_build(&pl, p, err, sizeof err)) < 0) {
		fprintf(stderr, "winnow-run: %s\n", err);
		wn_plan_release(&pl);
		wn_pipeline_free(p);
		return check ? 2 : 1;
	}
	if (!executor)
		executor = p->executor;
	/* a misspelt program fails now, not hours later in the last step */
	int missing = !status && !finalize && !step && wn_plan_check_programs(&pl, err, sizeof err) < 0;
	if (missing && dry) {
		fprintf(stderr, "winnow-run: warning: %s\n", err); /* --dry-run still shows the commands */
	} else if (missing) {
		fprintf(stderr, "winnow-run: %s\n", err);
		wn_plan_release(&pl);
		wn_pipeline_free(p);
		return 2;
	}
	int rc = 0;
	if (check) {
		printf("%s: ok (%d step%s, %d input%s, %d tasks)\n", p->path, p->nsteps, p->nsteps > 1 ? "s" : "",
		       pl.ninputs, pl.ninputs > 1 ? "s" : "", pl.ntasks);
	} else if (status) {
		wn_plan_status(&pl, stdout);
		wn_slurm_print_queue(&pl, stdout);
		for (int i = 0; i < pl.ntasks; i++)
			rc |= pl.tasks[i].state != WN_TASK_DONE;
	} else if (step) {
		int s = wn_pipeline_step(p, step);
		int ti = s < 0 ? -1 : wn_plan_find(&pl, s, task + offset);
		if (ti < 0) {
			fprintf(stderr, "winnow-run: no task %d of step '%s'\n", task + offset, step);
			rc = 2;
		} else if (wn_task_fresh(&pl, &pl.tasks[ti])) {
			fprintf(stderr, "winnow-run: %s task %d is already done\n", step, task + offset);
		} else {
			wn_run_signals();
			rc = wn_task_exec(&pl, ti, o.retries, err, sizeof err);
			if (rc == 130)
				fprintf(stderr, "winnow-run: %s task %d: stopped by signal %d; partial output removed, no marker\n",
					step, task + offset, (int)wn_run_interrupted);
			else if (rc)
				fprintf(stderr, "winnow-run: %s task %d: %s\n", step, task + offset, err);
			rc = rc == 130 ? 130 : rc ? 1 : 0;
		}
	} else if (finalize) {
		wn_plan_scan(&pl);
		int bad = 0;
		for (int i = 0; i < pl.ntasks; i++)
			bad += pl.tasks[i].state != WN_TASK_DONE;
		if (wn_write_run_json(&pl, "slurm", run_start(p), (double)time(NULL), bad ? "failed" : "done", err,
				      sizeof err) < 0)
			fprintf(stderr, "winnow-run: %s\n", err);
		if (!o.no_report)
			wn_run_report(&pl);
		wn_plan_status(&pl, stdout);
		rc = bad ? 1 : 0;
	} else if (!strcmp(executor, "slurm")) {
		wn_run_signals();
		struct wn_slurm_opts so = { .dry_run = dry, .wait = wait, .retries = o.retries, .progress = o.progress };
		rc = wn_slurm_submit(&pl, &so, stdout);
	} else if (dry) {
		wn_plan_print(&pl, stdout);
	} else {
		wn_run_signals();
		rc = wn_run_local(&pl, &o);
	}
	wn_plan_release(&pl);
	wn_pipeline_free(p);
	return rc;
}
