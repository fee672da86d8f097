/*
 * runner.h -- what winnow-run does with a loaded pipeline: plan the tasks,
 * decide which are done (completion markers and definition hashes), run
 * one task (a chain of processes joined by pipes, no shell), and run all of
 * them locally with N workers. The Slurm executor (slurm.h) plans the same
 * way and has every array task call wn_task_exec(), so both executors share
 * one code path for the work itself.
 *
 * Work directory layout (read by winnow-report; see docs/pipeline.md):
 *   WORK/STEP/NNNNN.EXT         task output (per-file steps)
 *   WORK/STEP/NNNNN.done.json   completion marker: def_hash, seconds, attempt,
 *                               per stage argv, exit status and --stats object
 *   WORK/STEP/NNNNN.failed.json last failed attempt: exits, signals, log path
 *   WORK/STEP/NNNNN.log         stderr of every process of the task
 *   WORK/run.json               pipeline, executor, times, per-step counts
 * Barrier steps use task number 00000 the same way; their output is the
 * step's `output:` path when given.
 *
 * Ownership: a wn_plan borrows its pipeline (which must outlive it) and
 * owns its task array and strings; wn_plan_release() frees them.
 */
#ifndef WN_RUNNER_H
#define WN_RUNNER_H

#include <signal.h>
#include <time.h>
#include "pipeline.h"

enum wn_task_state {
	WN_TASK_PENDING,
	WN_TASK_DONE,
	WN_TASK_FAILED,  /* the last attempt failed (a .failed.json with the current def_hash) */
	WN_TASK_RUNNING,
	WN_TASK_BLOCKED, /* an upstream task failed in this run */
};

struct wn_task {
	int step, index;
	char *input;       /* per-file: input path or URL */
	char *output;      /* final output path */
	char def_hash[65];
	int *deps;         /* indexes into wn_plan.tasks */
	int ndeps;
	enum wn_task_state state;
	struct timespec done_mtime; /* of the completion marker, when done */
	int attempts;      /* attempts made in this run */
};

struct wn_plan {
	const struct wn_pipeline *p;
	char **inputs;     /* expanded input files / URLs, in order */
	int ninputs;
	struct wn_task *tasks;
	int ntasks;
	int *first, *count; /* tasks of step s: tasks[first[s] .. first[s]+count[s]) */
	char self_dir[4096]; /* directory of the running winnow-run (stage lookup) */
};

struct wn_run_opts {
	int workers;      /* local parallel tasks (0: from the yaml) */
	int retries;      /* -1: from the yaml */
	int progress;
	int dry_run;
	int no_report;
};

/* Set by SIGINT/SIGTERM/SIGHUP once wn_run_signals() is installed. */
extern volatile sig_atomic_t wn_run_interrupted;
void wn_run_signals(void);

/* Expand inputs, create tasks, compute definition hashes. 0 or -1. */
int wn_plan_build(struct wn_plan *pl, const struct wn_pipeline *p, char *err, size_t errlen);
/* Same, with the input list read from `snapshot` (one input per line, as
 * written by wn_plan_save_inputs) instead of expanding globs: Slurm tasks
 * use the list fixed at submission, so files added later cannot shift
 * task numbers under running jobs. */
int wn_plan_build_from(struct wn_plan *pl, const struct wn_pipeline *p, const char *snapshot, char *err,
		       size_t errlen);
int wn_plan_save_inputs(const struct wn_plan *pl, const char *path, char *err, size_t errlen);
void wn_plan_release(struct wn_plan *pl);
/* Set every task's state from the markers on disk. */
void wn_plan_scan(struct wn_plan *pl);
/* State of one task from its markers (t->done_mtime is set when done). */
enum wn_task_state wn_task_scan(const struct wn_plan *pl, struct wn_task *t);
/* Done and still valid: its marker is newer than the markers of the tasks
 * it depends on (an upstream task redone since makes it stale). Looks at
 * the task and its direct dependencies only; wn_plan_scan applies the
 * rule transitively. */
int wn_task_fresh(const struct wn_plan *pl, struct wn_task *t);
/* Index of task `index` of step `step`, or -1. */
int wn_plan_find(const struct wn_plan *pl, int step, int index);

/* Where a stage's program is: a name with '/' is a path (relative to the
 * yaml's directory); winnow-* is looked up beside winnow-run first, then
 * PATH. Returns a malloc'ed path, or NULL when not found / not executable. */
char *wn_find_program(const struct wn_plan *pl, const char *name);
/* Every program of the pipeline exists: 0, or -1 with FILE:LINE:COL in err. */
int wn_plan_check_programs(const struct wn_plan *pl, char *err, size_t errlen);

/* Paths of a task's files (caller frees): suffix is "done.json", "log", ... */
char *wn_task_path(const struct wn_plan *pl, const struct wn_task *t, const char *suffix);

/* Run one task in this process (with retries). Returns 0 done, 1 failed,
 * 2 not runnable (an upstream task is not done), 130 interrupted. */
int wn_task_exec(struct wn_plan *pl, int ti, int retries, char *err, size_t errlen);

/* The local executor. Returns the exit code (0 all done, 1 some failed,
 * 130 interrupted) after printing failures with their logs. */
int wn_run_local(struct wn_plan *pl, const struct wn_run_opts *o);

/* Print the commands of every pending task (local --dry-run). */
void wn_plan_print(struct wn_plan *pl, FILE *f);
/* Per step done/failed/pending counts (--status). */
void wn_plan_status(struct wn_plan *pl, FILE *f);
/* WORK/run.json. `status`: "running", "done", "failed", "interrupted", "submitted". */
int wn_write_run_json(struct wn_plan *pl, const char *executor, double start, double end, const char *status,
		      char *err, size_t errlen);
/* Run winnow-report WORK -o OUTPUT/report.html when it exists beside us. */
void wn_run_report(struct wn_plan *pl);

/* Shell-quote argv for display into a malloc'ed string. */
char *wn_argv_display(char *const *argv);

#endif
