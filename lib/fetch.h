/*
 * fetch.h -- http(s) inputs through libcurl: download one URL to a local
 * file, retrying with exponential backoff and resuming a dropped transfer
 * with an HTTP Range request, so a flaky connection costs the missing
 * bytes, not the whole file. Common Crawl's warc.paths.gz lists are read by
 * the runner; this module fetches one entry.
 *
 * The file appears under `dest` only when complete (downloaded to
 * DEST.part, renamed at the end). Ownership: nothing is kept after return.
 */
#ifndef WN_FETCH_H
#define WN_FETCH_H

#include "wn.h"
#include <signal.h>

struct wn_fetch_opts {
	int retries;          /* attempts after the first (default 3 when 0) */
	double backoff;       /* first pause in seconds, doubled each time (default 1) */
	long connect_timeout; /* seconds (default 30) */
	long low_speed_time;  /* abort after this many seconds under 1 KB/s (default 60) */
	int logfd;            /* progress messages go here (-1: none) */
	volatile sig_atomic_t *cancel; /* when it becomes non-zero, give up at once (may be NULL) */
};

/* Returns 0, or -1 with err filled. */
int wn_fetch_url(const char *url, const char *dest, const struct wn_fetch_opts *o, char *err, size_t errlen);

#endif
