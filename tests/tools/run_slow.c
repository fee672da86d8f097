/*
 * run_slow -- a test stage for winnow-run (tests/e2e/run-*.sh): copies
 * stdin to stdout, optionally slowly, and fails on demand.
 *
 *   run_slow [--delay-ms N] [--fail-if TEXT] [--fail-first MARKERFILE]
 *
 * --delay-ms N      sleep N ms before copying (makes a task last long enough to kill)
 * --fail-if TEXT    exit 3 (after copying) when a line contains TEXT
 * --fail-first F    exit 4 when F does not exist, creating it (fails once: tests retries)
 * Built by the test scripts with cc; not part of the product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	long delay = 0;
	const char *fail_if = NULL, *fail_first = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay = atol(argv[++i]);
		else if (!strcmp(argv[i], "--fail-if") && i + 1 < argc)
			fail_if = argv[++i];
		else if (!strcmp(argv[i], "--fail-first") && i + 1 < argc)
			fail_first = argv[++i];
		else {
			fprintf(stderr, "run_slow: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (delay > 0) {
		struct timespec ts = { delay / 1000, (delay % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (fail_first) {
		FILE *f = fopen(fail_first, "r");
		if (!f) {
			f = fopen(fail_first, "w");
			if (f)
				fclose(f);
			fprintf(stderr, "run_slow: failing once on purpose (%s did not exist)\n", fail_first);
			return 4;
		}
		fclose(f);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int hit = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (fail_if && strstr(line, fail_if))
			hit = 1;
		fwrite(line, 1, (size_t)n, stdout);
	}
	free(line);
	if (hit) {
		fprintf(stderr, "run_slow: input contains '%s': failing on purpose\n", fail_if);
		return 3;
	}
	return fflush(stdout) ? 1 : 0;
}
