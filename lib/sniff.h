/*
 * sniff.h -- raw container input for winnow-ingest: a decompressing reader
 * that knows where each compressed member starts (so a WARC record can be
 * given the file offset a user seeks to), and container format detection
 * from content, never from the file name.
 *
 * Why not lib/io.h's reader: it hides compressed member boundaries and
 * damage (a corrupt gzip member is an error there); ingest must report the
 * offset of each record's gzip member, skip a corrupt member and go on with
 * the next one, and hand raw bytes to libarchive after sniffing a pipe.
 *
 * The reader keeps a window of decompressed bytes: wn_din_fill() makes at
 * least `need` bytes available at wn_din_ptr() (fewer only at the end), and
 * wn_din_consume() drops bytes from the front. Any fill may move the window:
 * pointers into it are valid until the next fill. Memory is the window
 * (as large as the largest record asked for at once) plus one raw buffer.
 *
 * Damage (truncated or corrupt compressed data, garbage between members) is
 * not an error return: the reader records a "gap" at the decompressed
 * position where the stream lost bytes, with a message naming the file and
 * raw offset, resynchronises at the next member it can find, and goes on.
 * Consumers check wn_din_gap_in() for the range they read.
 *
 * Ownership: wn_din_open returns a reader that owns its descriptor (unless
 * it is stdin) and buffers; wn_din_free releases everything.
 */
#ifndef WN_SNIFF_H
#define WN_SNIFF_H

#include "wn.h"
#include <sys/types.h>

enum wn_codec { WN_CODEC_PLAIN, WN_CODEC_GZIP, WN_CODEC_ZSTD, WN_CODEC_BZIP2, WN_CODEC_XZ };

enum wn_fmt { WN_FMT_UNKNOWN, WN_FMT_WARC, WN_FMT_WIKI, WN_FMT_JSONL, WN_FMT_ARCHIVE };

struct wn_din;

/* Open path ("-" or NULL = stdin), read its first raw bytes and detect the
 * compression codec from magic bytes. Returns NULL with err filled when the
 * file cannot be opened or read. */
struct wn_din *wn_din_open(const char *path, char *err, size_t errlen);
void wn_din_free(struct wn_din *d);

/* Detect the container format of the decompressed content (decodes a
 * prefix, then rewinds: nothing is consumed). */
enum wn_fmt wn_din_sniff(struct wn_din *d);

enum wn_codec wn_din_codec(const struct wn_din *d);
const char *wn_din_name(const struct wn_din *d);

/* Make at least `need` decompressed bytes available; returns the number
 * available (less than need only at the end of the stream). */
size_t wn_din_fill(struct wn_din *d, size_t need);
const char *wn_din_ptr(const struct wn_din *d);
size_t wn_din_avail(const struct wn_din *d);
void wn_din_consume(struct wn_din *d, size_t n);
/* Raw (compressed) bytes consumed so far, for progress. */
uint64_t wn_din_raw_pos(const struct wn_din *d);
/* Decompressed offset of wn_din_ptr(). */
uint64_t wn_din_pos(const struct wn_din *d);
/* Copy up to n bytes out (for libxml2's read callback). */
size_t wn_din_read(struct wn_din *d, void *buf, size_t n);

/* Raw file offset of the compressed member holding decompressed offset upos
 * (for plain files: upos itself). *starts_here is set to 1 when the member
 * begins exactly at upos (per-record compression: the offset can be used
 * to seek). Positions before the last wn_din_forget() are gone. */
uint64_t wn_din_member_offset(const struct wn_din *d, uint64_t upos, int *starts_here);
/* Drop bookkeeping (member starts, gaps) for positions before upos. */
void wn_din_forget(struct wn_din *d, uint64_t upos);

/* First gap at a decompressed position in [from, to), or -1. A gap at p
 * means bytes before p and from p on are not contiguous in the original
 * stream. *msg receives the damage message. */
int64_t wn_din_gap_in(const struct wn_din *d, uint64_t from, uint64_t to, const char **msg);
/* Mark and return the first gap at a position <= upto not yet reported
 * (NULL when none): consumers report each damage once. *raw (may be NULL)
 * receives the file offset of the member where the damage was. */
const char *wn_din_take_gap(struct wn_din *d, uint64_t upto, uint64_t *raw);
/* Number of damage events so far. */
uint64_t wn_din_damage_count(const struct wn_din *d);

/* Raw (still compressed) bytes, for libarchive, which decodes itself. Only
 * valid before any decompressed read (wn_din_sniff is fine). Returns the
 * length of the next chunk at *p, 0 at end, -1 on a read error. */
ssize_t wn_din_raw_chunk(struct wn_din *d, const void **p);

/* Next line (without its '\n'; a last line without one is a line too).
 * *line stays valid until the next call that reads. Returns 1, 0 at end. */
int wn_din_getline(struct wn_din *d, const char **line, size_t *len);

/* A record source name from a file path: the base name without
 * compression and container extensions ("cc/x.warc.gz" -> "x"; "-" -> "stdin"). */
void wn_source_name(const char *path, char *out, size_t cap);

/* Format of a decompressed prefix p[0..n). */
enum wn_fmt wn_sniff_format(const char *p, size_t n);
const char *wn_fmt_name(enum wn_fmt f);
/* Parse "auto|warc|wiki|jsonl|archive"; returns -1 for an unknown name
 * (auto is WN_FMT_UNKNOWN). */
int wn_fmt_parse(const char *s, enum wn_fmt *f);

#endif
