/*
 * archive_in.h -- tar and zip archives (optionally compressed: tar.gz,
 * tar.zst, ...) read through libarchive, one regular-file member at a time.
 * libarchive gets the raw bytes of a wn_din, so a pipe that was sniffed can
 * still be read.
 *
 * Ownership: a wn_ain borrows its wn_din. A member's path and data belong
 * to the reader and stay valid until the next wn_ain_next call.
 */
#ifndef WN_ARCHIVE_IN_H
#define WN_ARCHIVE_IN_H

#include "buf.h"
#include "sniff.h"

struct wn_ain_member {
	const char *path;
	const char *data; /* NULL when too_large */
	size_t len;
	int64_t size;     /* as declared in the archive, -1 when unknown */
	int too_large;    /* larger than max_bytes: skipped */
	int damaged;      /* data could not be read (message in err); data is NULL */
};

struct wn_ain;

/* max_bytes: largest member read into memory. */
struct wn_ain *wn_ain_open(struct wn_din *d, size_t max_bytes, char *err, size_t errlen);
void wn_ain_free(struct wn_ain *a);
/* Next regular file. Returns 1, 0 at the end, -1 on an error after which
 * the archive cannot be read further (err filled). Directories, links and
 * other special members are skipped silently: they are not documents.
 * A member whose data is damaged comes back with damaged set and err filled. */
int wn_ain_next(struct wn_ain *a, struct wn_ain_member *m, char *err, size_t errlen);
/* What a member holds, from its extension (.html/.htm/.xhtml/.shtml,
 * .txt/.text), else sniffed when it has none: 'h' HTML, 't' text, 0 other. */
int wn_ain_member_kind(const struct wn_ain_member *m);
/* Name of the archive format once reading started ("POSIX ustar format", "ZIP 2.0 ..."). */
const char *wn_ain_format(const struct wn_ain *a);

#endif
