/*
 * slurm.h -- the Slurm executor: one sbatch script per step (array jobs for
 * per-file steps, split above max_array_size; single jobs for barriers),
 * chained with --dependency=afterok, each task running
 * `winnow-run --step S --task I PIPELINE` (wn_task_exec, as locally).
 * A last job (afterany) runs `winnow-run --finalize` to write run.json
 * and the report. Only tasks that are not done are submitted, so
 * submitting again resumes. A shared file system is assumed: the work
 * directory, the yaml and the binaries must be visible from every node.
 *
 * Scripts are kept in WORK/slurm/ (STEP.K.sh) with the job logs
 * (STEP-JOB_TASK.out) and jobs.txt (ids of the last submission).
 */
#ifndef WN_SLURM_H
#define WN_SLURM_H

#include "buf.h"
#include "runner.h"

struct wn_slurm_opts {
	int dry_run;  /* print the scripts, submit nothing */
	int wait;     /* block until every job left the queue */
	const char *sbatch, *squeue; /* programs (default "sbatch", "squeue") */
	int progress; /* with wait: a line of tasks done/failed on stderr while waiting */
	int retries;  /* --retries given to winnow-run, passed on to the tasks; -1: the yaml's */
};

/* Submit (or print) the jobs. Returns the exit code: 0 (submitted; with
 * wait: everything done), 1 failure (message printed). */
int wn_slurm_submit(struct wn_plan *pl, const struct wn_slurm_opts *o, FILE *out);

/* For --status: print the jobs of the last submission still in the queue
 * (from WORK/slurm/jobs.txt and squeue). Nothing when there are none. */
void wn_slurm_print_queue(const struct wn_plan *pl, FILE *out);

/* Write the sbatch script of one chunk of step s into b. `tasks` are the
 * task indexes of the chunk (offset already subtracted), `dep` a
 * --dependency value or NULL. Exposed for the unit tests. */
void wn_slurm_script(const struct wn_plan *pl, int s, const int *tasks, int ntasks, int offset, const char *dep,
		     const char *self, const char *yaml, int retries, struct wn_buf *b);

#endif
