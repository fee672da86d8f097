/*
 * pipeline.h -- pipeline.yaml, loaded with libyaml and validated.
 *
 * The schema is documented in docs/pipeline.md. Loading checks everything
 * that can be checked without running: unknown keys, wrong types, bad
 * values, unknown or forward step references, placeholders used where they
 * mean nothing. Every error names FILE:LINE:COLUMN (both from 1).
 *
 * Relative paths in the file (inputs, input_list, work_dir, output_dir) are
 * resolved against the directory holding the yaml, so a pipeline runs the
 * same from any working directory (and from a Slurm job).
 *
 * Ownership: a wn_pipeline owns every string and array in it;
 * wn_pipeline_free() releases all of it. Nothing here touches the file
 * system beyond reading the yaml (globs are expanded by the runner).
 */
#ifndef WN_PIPELINE_H
#define WN_PIPELINE_H

#include "wn.h"

/* Longest chain of processes in one per-file step. */
#define WN_PL_MAX_STAGES 16

/* One process of a chain: argv as written (placeholders unexpanded). */
struct wn_pl_cmd {
	char **argv;
	int argc;
	int line, col;
};

struct wn_pl_step {
	char *name;
	int barrier;          /* runs once, after every task of the steps it reads */
	int from;             /* index of the step it reads, or -1 for the inputs */
	struct wn_pl_cmd *stages; /* per-file: a chain; barrier: exactly one (command) */
	int nstages;
	char *output;         /* barrier: final output path (resolved), or NULL */
	int *after;           /* extra dependencies (step indexes), incl. {step:X} uses */
	int nafter;
	char *ext;            /* extension of task outputs in the work directory */
	int capture;          /* the last stage's stdout is the task output */
	int line, col;
};

struct wn_pipeline {
	char *path;           /* the yaml file as given */
	char *dir;            /* its directory (absolute) */
	char *name;
	char **inputs;        /* globs, resolved against dir */
	int ninputs;
	char *input_list;     /* resolved path, or NULL */
	char *work_dir, *output_dir; /* resolved */
	char *compress;       /* "zstd", "gzip" or "none" */
	/* executor */
	char *executor;       /* "local" or "slurm" */
	int workers, retries;
	char *partition, *time_limit, *mem;
	int cpus_per_task, max_array_size, array_parallel;
	char **extra_args;
	int nextra_args;
	struct wn_pl_step *steps;
	int nsteps;
};

/* Load and validate. On error returns NULL and fills err with
 * "FILE:LINE:COL: message". */
struct wn_pipeline *wn_pipeline_load(const char *path, char *err, size_t errlen);
/* Same from memory (`path` names it in messages and anchors relative paths). */
struct wn_pipeline *wn_pipeline_load_mem(const char *text, size_t len, const char *path,
					 char *err, size_t errlen);
void wn_pipeline_free(struct wn_pipeline *p);

/* Index of the step called name, or -1. */
int wn_pipeline_step(const struct wn_pipeline *p, const char *name);

/* Does s contain the placeholder ph (e.g. "{input}")? */
int wn_pl_has(const char *s, const char *ph);

#endif
