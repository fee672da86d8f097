/*
 * slurm.c -- sbatch scripts, submission and waiting. sbatch and squeue are
 * run with fork/exec (no shell); the scripts themselves are sh, as Slurm
 * requires, and quote every path they contain.
 */
#include "slurm.h"
#include "buf.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void shq(struct wn_buf *b, const char *s)
{
	wn_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			wn_buf_adds(b, "'\\''");
		else
			wn_buf_addc(b, *s);
	}
	wn_buf_addc(b, '\'');
}

/* "0-3,7,9-12" */
static void ranges(struct wn_buf *b, const int *v, int n)
{
	for (int i = 0; i < n;) {
		int j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (b->len && b->data[b->len - 1] != '=')
			wn_buf_addc(b, ',');
		if (j == i)
			wn_buf_addf(b, "%d", v[i]);
		else
			wn_buf_addf(b, "%d-%d", v[i], v[j]);
		i = j + 1;
	}
}

void wn_slurm_script(const struct wn_plan *pl, int s, const int *tasks, int ntasks, int offset, const char *dep,
		     const char *self, const char *yaml, int retries, struct wn_buf *b)
{
	const struct wn_pipeline *p = pl->p;
	const struct wn_pl_step *st = &p->steps[s];
	wn_buf_adds(b, "#!/bin/sh\n");
	wn_buf_addf(b, "# winnow-run: pipeline %s, step %s (%s)\n", p->name, st->name, st->barrier ? "barrier" : "per file");
	wn_buf_addf(b, "#SBATCH --job-name=winnow-%s-%s\n", p->name, st->name);
	if (!st->barrier) {
		wn_buf_adds(b, "#SBATCH --array=");
		ranges(b, tasks, ntasks);
		if (p->array_parallel > 0)
			wn_buf_addf(b, "%%%d", p->array_parallel);
		wn_buf_addc(b, '\n');
		wn_buf_addf(b, "#SBATCH --output=%s/slurm/%s-%%A_%%a.out\n", p->work_dir, st->name);
	} else {
		wn_buf_addf(b, "#SBATCH --output=%s/slurm/%s-%%j.out\n", p->work_dir, st->name);
	}
	if (p->partition)
		wn_buf_addf(b, "#SBATCH --partition=%s\n", p->partition);
	if (p->time_limit)
		wn_buf_addf(b, "#SBATCH --time=%s\n", p->time_limit);
	wn_buf_addf(b, "#SBATCH --cpus-per-task=%d\n", p->cpus_per_task);
	if (p->mem)
		wn_buf_addf(b, "#SBATCH --mem=%s\n", p->mem);
	if (dep) {
		wn_buf_addf(b, "#SBATCH --dependency=%s\n", dep);
		/* a failed upstream task cancels this job instead of leaving it pending forever */
		wn_buf_adds(b, "#SBATCH --kill-on-invalid-dep=yes\n");
	}
	for (int i = 0; i < p->nextra_args; i++)
		wn_buf_addf(b, "#SBATCH %s\n", p->extra_args[i]);
	wn_buf_adds(b, "exec ");
	shq(b, self);
	if (retries >= 0)
		wn_buf_addf(b, " --retries %d", retries);
	wn_buf_adds(b, " --step ");
	shq(b, st->name);
	if (st->barrier) {
		wn_buf_adds(b, " --task 0 ");
	} else {
		if (offset)
			wn_buf_addf(b, " --task-offset %d", offset);
		wn_buf_adds(b, " --task \"$SLURM_ARRAY_TASK_ID\" ");
	}
	shq(b, yaml);
	wn_buf_addc(b, '\n');
}

/* Run argv, capture stdout. Returns the exit status (or -1). */
static int run_capture(char *const *argv, struct wn_buf *out)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "winnow-run: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char buf[4096];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		wn_buf_add(out, buf, (size_t)n);
	}
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int submit(const char *sbatch, const char *script, char *id, size_t idlen)
{
	struct wn_buf out = WN_BUF_INIT;
	char *argv[] = { (char *)sbatch, "--parsable", (char *)script, NULL };
	int rc = run_capture(argv, &out);
	size_t n = strspn(out.data, "0123456789");
	if (rc != 0 || n == 0 || n >= idlen) {
		wn_buf_release(&out);
		return -1;
	}
	memcpy(id, out.data, n);
	id[n] = '\0';
	wn_buf_release(&out);
	return 0;
}

/* Job ids (comma-separated) still in the queue, from squeue. */
static int queued(const char *squeue, const char *ids, struct wn_buf *states)
{
	char *argv[] = { (char *)squeue, "-h", "-j", (char *)ids, "-o", "%i %T %r", NULL };
	wn_buf_reset(states);
	int rc = run_capture(argv, states);
	if (rc != 0)
		return 0; /* squeue fails on ids it no longer knows: they are gone */
	return states->len > 0;
}

int wn_slurm_submit(struct wn_plan *pl, const struct wn_slurm_opts *o, FILE *out)
{
	const struct wn_pipeline *p = pl->p;
	const char *sbatch = o->sbatch ? o->sbatch : "sbatch";
	const char *squeue = o->squeue ? o->squeue : "squeue";
	char err[1024];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "winnow-run: cannot find my own binary\n");
		return 1;
	}
	self[n] = '\0';
	char *yaml = realpath(p->path, NULL);
	if (!yaml) {
		fprintf(stderr, "winnow-run: %s: %s\n", p->path, strerror(errno));
		return 1;
	}
	struct wn_buf dir = WN_BUF_INIT, jobsf = WN_BUF_INIT, states = WN_BUF_INIT;
	wn_buf_addf(&dir, "%s/slurm", p->work_dir);
	wn_buf_addf(&jobsf, "%s/jobs.txt", dir.data);
	int rc = 0;
	/* refuse to submit twice while an earlier submission is still queued */
	if (!o->dry_run) {
		FILE *jf = fopen(jobsf.data, "r");
		if (jf) {
			char line[4096] = "";
			if (fgets(line, sizeof line, jf)) {
				line[strcspn(line, "\n")] = '\0';
				if (line[0] && queued(squeue, line, &states)) {
					fprintf(stderr, "winnow-run: jobs of an earlier submission are still queued (%s):\n%s"
							"wait for them (or scancel them) before submitting again\n",
						line, states.data);
					rc = 1;
				}
			}
			fclose(jf);
		}
		if (rc)
			goto out;
		for (char *s = dir.data + 1; *s; s++)
			if (*s == '/') {
				*s = '\0';
				mkdir(dir.data, 0777);
				*s = '/';
			}
		mkdir(dir.data, 0777);
	}
	if (!o->dry_run) {
		/* the array tasks read the input list fixed now (wn_plan_build_from) */
		struct wn_buf snap = WN_BUF_INIT;
		wn_buf_addf(&snap, "%s/inputs.txt", dir.data);
		if (wn_plan_save_inputs(pl, snap.data, err, sizeof err) < 0) {
			fprintf(stderr, "winnow-run: %s\n", err);
			rc = 1;
		}
		wn_buf_release(&snap);
		if (rc)
			goto out;
	}
	wn_plan_scan(pl);
	char (*jobs)[4096] = wn_xcalloc((size_t)p->nsteps, sizeof *jobs); /* "id:id" per step */
	struct wn_buf all = WN_BUF_INIT, script = WN_BUF_INIT, dep = WN_BUF_INIT;
	int submitted = 0;
	for (int s = 0; s < p->nsteps && !rc; s++) {
		const struct wn_pl_step *st = &p->steps[s];
		int *pend = wn_xcalloc((size_t)pl->count[s] + 1, sizeof *pend);
		int np = 0;
		for (int k = 0; k < pl->count[s]; k++)
			if (pl->tasks[pl->first[s] + k].state != WN_TASK_DONE)
				pend[np++] = k;
		if (!np) {
			free(pend);
			continue;
		}
		wn_buf_reset(&dep);
		int ups[64], nup = 0;
		if (st->from >= 0)
			ups[nup++] = st->from;
		for (int a = 0; a < st->nafter && nup < 64; a++)
			ups[nup++] = st->after[a];
		for (int u = 0; u < nup; u++) {
			if (!jobs[ups[u]][0])
				continue; /* nothing of it was submitted: already done */
			wn_buf_adds(&dep, dep.len ? ":" : "afterok:");
			wn_buf_adds(&dep, jobs[ups[u]]);
		}
		int M = st->barrier ? 1 : p->max_array_size;
		for (int i = 0; i < np && !rc;) {
			int chunk = pend[i] / M, off = chunk * M;
			int j = i;
			int *idx = wn_xcalloc((size_t)np, sizeof *idx);
			int ni = 0;
			while (j < np && pend[j] / M == chunk)
				idx[ni++] = pend[j++] - off;
			wn_buf_reset(&script);
			wn_slurm_script(pl, s, idx, ni, off, dep.len ? dep.data : NULL, self, yaml, o->retries, &script);
			free(idx);
			if (o->dry_run) {
				fprintf(out, "# ---- %s/%s.%d.sh\n%s", dir.data, st->name, chunk, script.data);
				snprintf(jobs[s] + strlen(jobs[s]), sizeof jobs[s] - strlen(jobs[s]), "%s<%s.%d>",
					 jobs[s][0] ? ":" : "", st->name, chunk);
			} else {
				char path[4200], id[64];
				snprintf(path, sizeof path, "%s/%s.%d.sh", dir.data, st->name, chunk);
				if (wn_write_file_atomic(path, script.data, script.len, err, sizeof err) < 0) {
					fprintf(stderr, "winnow-run: %s\n", err);
					rc = 1;
					break;
				}
				if (submit(sbatch, path, id, sizeof id) < 0) {
					fprintf(stderr, "winnow-run: sbatch %s failed\n", path);
					rc = 1;
					break;
				}
				fprintf(out, "%s: job %s (%d task%s)\n", st->name, id, ni, ni > 1 ? "s" : "");
				snprintf(jobs[s] + strlen(jobs[s]), sizeof jobs[s] - strlen(jobs[s]), "%s%s",
					 jobs[s][0] ? ":" : "", id);
				wn_buf_addf(&all, "%s%s", all.len ? "," : "", id);
				submitted++;
			}
			i = j;
		}
		free(pend);
	}
	if (!rc && !submitted && !o->dry_run) {
		fprintf(out, "nothing to submit: every task is done\n");
	} else if (!rc) {
		/* the finishing job: run.json and the report, whatever happened */
		wn_buf_reset(&dep);
		for (int s = 0; s < p->nsteps; s++)
			if (jobs[s][0])
				wn_buf_addf(&dep, "%s%s", dep.len ? ":" : "afterany:", jobs[s]);
		wn_buf_reset(&script);
		wn_buf_adds(&script, "#!/bin/sh\n");
		wn_buf_addf(&script, "#SBATCH --job-name=winnow-%s-finalize\n", p->name);
		wn_buf_addf(&script, "#SBATCH --output=%s/slurm/finalize-%%j.out\n", p->work_dir);
		if (p->partition)
			wn_buf_addf(&script, "#SBATCH --partition=%s\n", p->partition);
		if (dep.len)
			wn_buf_addf(&script, "#SBATCH --dependency=%s\n", dep.data);
		for (int i = 0; i < p->nextra_args; i++)
			wn_buf_addf(&script, "#SBATCH %s\n", p->extra_args[i]);
		wn_buf_adds(&script, "exec ");
		shq(&script, self);
		wn_buf_adds(&script, " --finalize ");
		shq(&script, yaml);
		wn_buf_addc(&script, '\n');
		if (o->dry_run) {
			fprintf(out, "# ---- %s/finalize.sh\n%s", dir.data, script.data);
		} else {
			char path[4200], id[64];
			snprintf(path, sizeof path, "%s/finalize.sh", dir.data);
			if (wn_write_file_atomic(path, script.data, script.len, err, sizeof err) < 0 ||
			    submit(sbatch, path, id, sizeof id) < 0) {
				fprintf(stderr, "winnow-run: submitting %s failed\n", path);
				rc = 1;
			} else {
				fprintf(out, "finalize: job %s\n", id);
				wn_buf_addf(&all, "%s%s", all.len ? "," : "", id);
			}
		}
	}
	if (rc && all.len)
		fprintf(stderr, "winnow-run: jobs already submitted: %s (scancel them, or let them run and submit again)\n",
			all.data);
	if (!o->dry_run && all.len) {
		wn_buf_addc(&all, '\n');
		if (wn_write_file_atomic(jobsf.data, all.data, all.len, err, sizeof err) < 0)
			fprintf(stderr, "winnow-run: %s\n", err);
		wn_write_run_json(pl, "slurm", (double)time(NULL), 0, "submitted", err, sizeof err);
	}
	fflush(out);
	if (!rc && o->wait && !o->dry_run && all.len) {
		all.data[--all.len] = '\0';
		double t0 = wn_now(), last = 0;
		while (queued(squeue, all.data, &states)) {
			if (wn_run_interrupted) {
				fprintf(stderr, "%swinnow-run: stopped waiting; the jobs keep running (see --status)\n",
					o->progress ? "\n" : "");
				rc = 130;
				break;
			}
			if (o->progress && wn_now() - last >= 2) {
				last = wn_now();
				wn_plan_scan(pl);
				int done = 0, failed = 0;
				for (int i = 0; i < pl->ntasks; i++) {
					done += pl->tasks[i].state == WN_TASK_DONE;
					failed += pl->tasks[i].state == WN_TASK_FAILED;
				}
				fprintf(stderr, "\rwinnow-run: %d/%d tasks done, %d failed, %d:%02d elapsed   ", done, pl->ntasks,
					failed, (int)(last - t0) / 60, (int)(last - t0) % 60);
			}
			sleep(1);
		}
		if (o->progress)
			fputc('\n', stderr);
		if (!rc) {
			wn_plan_scan(pl);
			int bad = 0;
			for (int i = 0; i < pl->ntasks; i++)
				bad += pl->tasks[i].state != WN_TASK_DONE;
			if (bad) {
				wn_plan_status(pl, stderr);
				fprintf(stderr, "winnow-run: %d task%s not done\n", bad, bad > 1 ? "s" : "");
				rc = 1;
			}
		}
	}
	free(jobs);
	wn_buf_release(&all);
	wn_buf_release(&script);
	wn_buf_release(&dep);
out:
	wn_buf_release(&dir);
	wn_buf_release(&jobsf);
	wn_buf_release(&states);
	free(yaml);
	return rc;
}

void wn_slurm_print_queue(const struct wn_plan *pl, FILE *out)
{
	struct wn_buf path = WN_BUF_INIT, states = WN_BUF_INIT;
	wn_buf_addf(&path, "%s/slurm/jobs.txt", pl->p->work_dir);
	FILE *jf = fopen(path.data, "r");
	char line[4096] = "";
	if (jf) {
		if (fgets(line, sizeof line, jf))
			line[strcspn(line, "\n")] = '\0';
		fclose(jf);
	}
	if (line[0]) {
		char *argv[] = { "squeue", "-h", "-j", line, "-o", "%i %j %T %r", NULL };
		if (run_capture(argv, &states) == 0 && states.len)
			fprintf(out, "slurm jobs of the last submission still queued (id name state reason):\n%s", states.data);
	}
	wn_buf_release(&path);
	wn_buf_release(&states);
}
