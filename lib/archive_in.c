/* archive_in.c -- tar/zip members through libarchive; see archive_in.h. */
#include "archive_in.h"
#include "http.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct wn_ain {
	struct wn_din *d;
	struct archive *ar;
	struct wn_buf data, path;
	size_t max_bytes;
};

static la_ssize_t read_cb(struct archive *ar, void *ctx, const void **buf)
{
	WN_UNUSED(ar);
	struct wn_ain *a = ctx;
	ssize_t n = wn_din_raw_chunk(a->d, buf);
	if (n < 0)
		archive_set_error(ar, EIO, "read error");
	return n;
}

struct wn_ain *wn_ain_open(struct wn_din *d, size_t max_bytes, char *err, size_t errlen)
{
	struct wn_ain *a = wn_xcalloc(1, sizeof *a);
	a->d = d;
	a->max_bytes = max_bytes;
	wn_buf_init(&a->data);
	wn_buf_init(&a->path);
	a->ar = archive_read_new();
	archive_read_support_filter_all(a->ar);
	archive_read_support_format_tar(a->ar);
	archive_read_support_format_gnutar(a->ar);
	archive_read_support_format_zip(a->ar);
	if (archive_read_open(a->ar, a, NULL, read_cb, NULL) != ARCHIVE_OK) {
		wn_err(err, errlen, "not a readable archive: %s", archive_error_string(a->ar));
		wn_ain_free(a);
		return NULL;
	}
	return a;
}

void wn_ain_free(struct wn_ain *a)
{
	if (!a)
		return;
	if (a->ar)
		archive_read_free(a->ar);
	wn_buf_release(&a->data);
	wn_buf_release(&a->path);
	free(a);
}

const char *wn_ain_format(const struct wn_ain *a)
{
	const char *f = archive_format_name(a->ar);
	return f ? f : "archive";
}

int wn_ain_next(struct wn_ain *a, struct wn_ain_member *m, char *err, size_t errlen)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a->ar, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r == ARCHIVE_RETRY)
			continue;
		if (r == ARCHIVE_FATAL)
			return wn_err(err, errlen, "archive unreadable: %s", archive_error_string(a->ar));
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		const char *path = archive_entry_pathname(e);
		wn_buf_reset(&a->path);
		wn_buf_adds(&a->path, path ? path : "?");
		memset(m, 0, sizeof *m);
		m->path = a->path.data;
		m->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
		if (m->size > (int64_t)a->max_bytes) {
			m->too_large = 1;
			archive_read_data_skip(a->ar);
			return 1;
		}
		wn_buf_reset(&a->data);
		for (;;) {
			wn_buf_grow(&a->data, 64 * 1024);
			la_ssize_t n = archive_read_data(a->ar, a->data.data + a->data.len, a->data.cap - a->data.len - 1);
			if (n == 0)
				break;
			if (n < 0) {
				if (n == ARCHIVE_FATAL)
					return wn_err(err, errlen, "member '%s' unreadable: %s", m->path,
						      archive_error_string(a->ar));
				wn_err(err, errlen, "member '%s' damaged: %s", m->path, archive_error_string(a->ar));
				m->damaged = 1;
				return 1;
			}
			wn_buf_setlen(&a->data, a->data.len + (size_t)n);
			if (a->data.len > a->max_bytes) {
				m->too_large = 1;
				archive_read_data_skip(a->ar);
				return 1;
			}
		}
		m->data = a->data.data;
		m->len = a->data.len;
		return 1;
	}
}

int wn_ain_member_kind(const struct wn_ain_member *m)
{
	const char *dot = strrchr(m->path, '.'), *slash = strrchr(m->path, '/');
	const char *ext = dot && (!slash || dot > slash) ? dot + 1 : "";
	if (!strcasecmp(ext, "html") || !strcasecmp(ext, "htm") || !strcasecmp(ext, "xhtml") ||
	    !strcasecmp(ext, "shtml") || (!*ext && m->data && wn_is_html("", m->data, m->len)))
		return 'h';
	if (!strcasecmp(ext, "txt") || !strcasecmp(ext, "text"))
		return 't';
	return 0;
}
