/*
 * tap.h -- the unit-test harness: TAP-style lines that tests/run.sh counts.
 *
 *	TEST(parses_empty) { CHECK(x == 1); CHECK_EQ_STR(a, b); }
 *	int main(void) { RUN(parses_empty); return tap_done(); }
 *
 * Each RUN prints "ok - NAME" or "not ok - NAME" (with the failed checks
 * above it, file:line); tap_done() returns non-zero when any failed.
 * tap_data("jsonl/x.zst") finds ../shared/data (or $WINNOW_DATA); when the
 * data is absent it returns NULL and says so, and with CI=true the test
 * must fail (tap_need_data does that).
 */
#ifndef WN_TAP_H
#define WN_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_cur_failed, tap_passed, tap_failed;

#define TEST(name) static void name(void)
#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			tap_cur_failed = 1;                                      \
		}                                                                \
	} while (0)
#define CHECK_EQ_INT(a, b)                                                       \
	do {                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);              \
		if (a_ != b_) {                                                  \
			printf("#   %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); \
			tap_cur_failed = 1;                                      \
		}                                                                \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                       \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		if (!a_ || !b_ || strcmp(a_, b_)) {                              \
			printf("#   %s:%d: %s is \"%.200s\", expected \"%.200s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			tap_cur_failed = 1;                                      \
		}                                                                \
	} while (0)
#define CHECK_EQ_MEM(a, alen, b, blen)                                          \
	do {                                                                     \
		size_t al_ = (alen), bl_ = (blen);                               \
		if (al_ != bl_ || memcmp((a), (b), al_)) {                       \
			printf("#   %s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", __FILE__, __LINE__, #a, al_, #b, bl_); \
			tap_cur_failed = 1;                                      \
		}                                                                \
	} while (0)

#define RUN(name) tap_run(#name, name)

static inline void tap_run(const char *name, void (*fn)(void))
{
	tap_cur_failed = 0;
	fflush(stdout);
	fn();
	if (tap_cur_failed) {
		tap_failed++;
		printf("not ok - %s\n", name);
	} else {
		tap_passed++;
		printf("ok - %s\n", name);
	}
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("# %d passed, %d failed\n", tap_passed, tap_failed);
	return tap_failed ? 1 : 0;
}

/* Path of a file in the shared test data, or NULL when absent (reported;
 * under CI=true the absence is a failure of the calling test). */
static inline const char *tap_data(const char *rel)
{
	static char path[4096];
	const char *root = getenv("WINNOW_DATA");
	snprintf(path, sizeof path, "%s/%s", root && *root ? root : "../shared/data", rel);
	if (access(path, R_OK) == 0)
		return path;
	const char *ci = getenv("CI");
	printf("# test data absent: %s (set WINNOW_DATA)%s\n", path,
	       ci && !strcmp(ci, "true") ? " -- failing under CI" : " -- skipping");
	if (ci && !strcmp(ci, "true"))
		tap_cur_failed = 1;
	return NULL;
}

#endif
