/*
 * fetch.c -- one URL to one file with libcurl. A transfer that ends early
 * (connection dropped, server closed, timeout under the low-speed limit)
 * keeps the bytes it got; the next attempt asks for the rest with a Range
 * request. A server that ignores Range (answers 200) restarts the file.
 * HTTP errors 4xx other than 408/429 are final: retrying will not help.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	FILE *f;
	long status;      /* HTTP status of the current response */
	int restart;      /* server ignored Range: truncate before writing */
	int started;
	curl_off_t have;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	if (!s->started) {
		s->started = 1;
		if (s->restart) {
			/* full body despite our Range: start the file over */
			if (ftruncate(fileno(s->f), 0) < 0 || fseek(s->f, 0, SEEK_SET) < 0)
				return 0;
			s->have = 0;
		}
	}
	size_t w = fwrite(p, size, n, s->f);
	s->have += (curl_off_t)(w * size);
	return w * size;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', len);
		s->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		s->restart = s->have > 0 && s->status == 200;
		s->started = 0;
	}
	return len;
}

static void sleep_s(double s, volatile sig_atomic_t *cancel)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !(cancel && *cancel))
		;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	volatile sig_atomic_t *cancel = ud;
	WN_UNUSED(dt), WN_UNUSED(dn), WN_UNUSED(ut), WN_UNUSED(un);
	return cancel && *cancel; /* non-zero aborts the transfer */
}

int wn_fetch_url(const char *url, const char *dest, const struct wn_fetch_opts *o, char *err, size_t errlen)
{
	pthread_once(&curl_once, curl_init_once);
	int retries = o && o->retries > 0 ? o->retries : 3;
	double pause = o && o->backoff > 0 ? o->backoff : 1.0;
	int logfd = o ? o->logfd : -1;
	size_t plen = strlen(dest) + 8;
	char *part = wn_xmalloc(plen);
	snprintf(part, plen, "%s.part", dest);
	FILE *f = fopen(part, "w+b");
	if (!f) {
		wn_err(err, errlen, "cannot create '%s': %s", part, strerror(errno));
		free(part);
		return -1;
	}
	CURL *c = curl_easy_init();
	if (!c)
		BUG("curl_easy_init failed");
	struct sink s = { .f = f };
	char cerr[CURL_ERROR_SIZE];
	int rc = -1;
	for (int attempt = 0; attempt <= retries; attempt++) {
		if (attempt) {
			if (logfd >= 0)
				dprintf(logfd, "winnow-run: fetch %s: %s; retrying in %.1f s (attempt %d of %d, resuming at byte %lld)\n",
					url, err, pause, attempt + 1, retries + 1, (long long)s.have);
			sleep_s(pause, o ? o->cancel : NULL);
			pause *= 2;
		}
		if (o && o->cancel && *o->cancel) {
			wn_err(err, errlen, "%s: interrupted", url);
			break;
		}
		fflush(f);
		if (fseek(f, 0, SEEK_END) < 0)
			break;
		s.have = ftell(f);
		s.status = 0;
		s.restart = 0;
		s.started = 0;
		cerr[0] = '\0';
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L); /* error bodies are not data */
		curl_easy_setopt(c, CURLOPT_USERAGENT, "winnow-run/" WN_VERSION);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o && o->connect_timeout ? o->connect_timeout : 30L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o && o->low_speed_time ? o->low_speed_time : 60L);
		if (s.have > 0)
			curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, s.have);
		if (o && o->cancel) {
			curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
			curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o->cancel);
			curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		}
		CURLcode cr = curl_easy_perform(c);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (cr == CURLE_OK && (code == 200 || code == 206 || code == 0)) {
			rc = 0;
			break;
		}
		if (cr == CURLE_OK || cr == CURLE_HTTP_RETURNED_ERROR) {
			if (code == 416 && s.have > 0) {
				/* asked for bytes past the end: the previous attempt got it all */
				rc = 0;
				break;
			}
			wn_err(err, errlen, "%s: HTTP status %ld", url, code);
			if (code >= 400 && code < 500 && code != 408 && code != 429)
				break; /* final */
			continue;
		}
		wn_err(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(cr));
		if (cr == CURLE_ABORTED_BY_CALLBACK)
			break;
	}
	curl_easy_cleanup(c);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		if (rc == 0)
			wn_err(err, errlen, "writing '%s': %s", part, strerror(errno));
		rc = -1;
	}
	fclose(f);
	if (rc == 0 && rename(part, dest) < 0) {
		wn_err(err, errlen, "cannot rename '%s': %s", part, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(part);
	free(part);
	return rc;
}
