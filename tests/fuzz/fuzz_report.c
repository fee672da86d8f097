/* fuzz_report.c -- libFuzzer target for the run report: the input is cut
 * at "\n---\n" into up to four files of a work directory (run.json, a
 * step's done.json, its failed.json, a manifest.json next to the step's
 * output), which are then loaded, summed and rendered. The JSON grammar is
 * jansson's; what is fuzzed is our reading of whatever shapes the members
 * take (wrong types, huge or negative numbers, odd names) and the
 * rendering. Properties: never crash (ASan/UBSan); the page is one HTML
 * document whose every '<' comes from us (no '<script' can get in). */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void put(const char *rel, const char *p, size_t n)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(p, 1, n, f);
	fclose(f);
}

static const char *const names[] = { "run.json", "s/00000.done.json", "s/00000.failed.json", "o/manifest.json" };

/* leave nothing behind in /tmp */
static void cleanup(void)
{
	char p[128];
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/s", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/o", dir);
	rmdir(p);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		atexit(cleanup);
		snprintf(dir, sizeof dir, "/tmp/fuzz_report.%d", (int)getpid());
		mkdir(dir, 0755);
		char p[128];
		snprintf(p, sizeof p, "%s/s", dir);
		mkdir(p, 0755);
		snprintf(p, sizeof p, "%s/o", dir);
		mkdir(p, 0755);
	}
	const char *s = (const char *)data, *end = s + size;
	for (int i = 0; i < 4; i++) {
		const char *cut = s < end ? memmem(s, (size_t)(end - s), "\n---\n", 5) : NULL;
		size_t n = cut ? (size_t)(cut - s) : (size_t)(end - s);
		if (i == 0 && !cut) {
			/* one file only: it is the done.json of step "s" (found without run.json) */
			char p[128];
			snprintf(p, sizeof p, "%s/run.json", dir);
			unlink(p);
			put(names[1], s, n);
			break;
		}
		put(names[i], s, n);
		s = cut ? cut + 5 : end;
	}
	char err[256];
	struct wn_report *r = wn_report_load(dir, err, sizeof err);
	if (!r)
		abort(); /* the directory exists */
	struct wn_buf b = WN_BUF_INIT;
	wn_report_html(r, &b);
	if (strstr(b.data, "<script") || strstr(b.data, "<img"))
		abort();
	wn_buf_reset(&b);
	wn_report_json(r, &b);
	wn_buf_release(&b);
	wn_report_free(r);
	return 0;
}
