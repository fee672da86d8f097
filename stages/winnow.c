/*
 * winnow -- the dispatcher: `winnow STAGE ARGS...` execs winnow-STAGE, the
 * way git runs its commands. It looks beside its own binary first, then on
 * PATH. `winnow --help` lists the stages it finds.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void self_dir(char *dir, size_t n)
{
	ssize_t k = readlink("/proc/self/exe", dir, n - 1);
	if (k <= 0) {
		dir[0] = '\0';
		return;
	}
	dir[k] = '\0';
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_stages(const char *dir)
{
	DIR *d = opendir(dir);
	char *names[128];
	size_t n = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) && n < 128)
			if (!strncmp(e->d_name, "winnow-", 7) && !strchr(e->d_name, '.'))
				names[n++] = strdup(e->d_name + 7);
		closedir(d);
	}
	qsort(names, n, sizeof *names, cmp);
	printf("stages found in %s:\n", dir);
	for (size_t i = 0; i < n; i++) {
		printf("  %s\n", names[i]);
		free(names[i]);
	}
	if (!n)
		printf("  (none)\n");
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX];
	self_dir(dir, sizeof dir);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		printf("usage: winnow STAGE [ARGS...]\n"
		       "Runs winnow-STAGE with ARGS. 'winnow STAGE --help' describes a stage.\n"
		       "Stages join with pipes: winnow-ingest x.warc.gz | winnow-extract | winnow-cat > docs.jsonl\n\n");
		list_stages(dir);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("winnow %s (%s)\n", WN_VERSION, WN_COMMIT);
		return 0;
	}
	if (strchr(argv[1], '/') || argv[1][0] == '-') {
		fprintf(stderr, "winnow: '%s' is not a stage name\nTry 'winnow --help'.\n", argv[1]);
		return 2;
	}
	char prog[PATH_MAX + 64];
	snprintf(prog, sizeof prog, "winnow-%s", argv[1]);
	argv[1] = prog;
	char path[2 * PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, prog);
	if (dir[0] && access(path, X_OK) == 0)
		execv(path, argv + 1);
	execvp(prog, argv + 1);
	if (errno == ENOENT) {
		fprintf(stderr, "winnow: '%s' is not a winnow stage (no %s beside %s or on PATH)\nTry 'winnow --help'.\n",
			argv[1] + 7, prog, dir);
		return 2;
	}
	fprintf(stderr, "winnow: cannot run %s: %s\n", prog, strerror(errno));
	return 1;
}
