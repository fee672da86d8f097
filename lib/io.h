/*
 * io.h -- byte streams in and out: compressed input detected by magic bytes,
 * compressed output chosen by file name, atomic file output.
 *
 * Reader: plain, gzip (multi-member, as Common Crawl writes it), bzip2
 * (multi-stream), xz (concatenated) and zstd (multi-frame), detected from
 * the first bytes, never from the name. "-" (or NULL) is stdin.
 *
 * Writer: "-" (or NULL) is stdout, written directly. A file is written to a
 * temporary name beside it ("NAME.tmp.PID") and appears under its name only
 * at wn_writer_commit(), after fsync, so a killed job never leaves a half
 * file that looks whole. Names ending in .gz or .zst are compressed.
 *
 * Ownership: a reader/writer owns its file descriptor and buffers;
 * wn_reader_free / wn_writer_commit / wn_writer_abort release everything.
 */
#ifndef WN_IO_H
#define WN_IO_H

#include "wn.h"
#include "buf.h"
#include <sys/types.h>

struct wn_reader;

/* Open a file ("-" or NULL = stdin). On error returns NULL and fills err. */
struct wn_reader *wn_reader_open(const char *path, char *err, size_t errlen);
/* Wrap an already open descriptor (not closed by wn_reader_free when
 * own_fd is 0). `name` is used in messages. */
struct wn_reader *wn_reader_fdopen(int fd, const char *name, int own_fd, char *err, size_t errlen);
void wn_reader_free(struct wn_reader *r);

/* Read up to n decompressed bytes. Returns bytes read, 0 at end, -1 on error
 * (message in wn_reader_error()). A truncated compressed stream is an error
 * after the bytes that could be decoded have been returned. */
ssize_t wn_reader_read(struct wn_reader *r, void *buf, size_t n);

/* Next line without its '\n' (a '\r' before it is kept: JSONL lines never
 * end in one that matters, and other formats decide for themselves).
 * *line stays valid until the next call. Lines may be of any length.
 * A last line without '\n' is returned as a line.
 * Returns 1 for a line, 0 at end, -1 on error. */
int wn_reader_getline(struct wn_reader *r, const char **line, size_t *len);

/* Look at the first n decompressed bytes without consuming them (n <= 64 KiB).
 * Returns the number available (less at end of input), -1 on error. */
ssize_t wn_reader_peek(struct wn_reader *r, const char **p, size_t n);

const char *wn_reader_name(const struct wn_reader *r);
const char *wn_reader_codec(const struct wn_reader *r); /* "plain", "gzip", "bzip2", "xz", "zstd" */
const char *wn_reader_error(const struct wn_reader *r);
uint64_t wn_reader_raw_pos(const struct wn_reader *r);  /* compressed bytes consumed so far */
int64_t wn_reader_raw_size(const struct wn_reader *r);  /* input file size, -1 if unknown (pipe) */
uint64_t wn_reader_pos(const struct wn_reader *r);      /* decompressed bytes consumed so far */

struct wn_writer;

/* Open for writing ("-" or NULL = stdout). Compression from the name:
 * *.gz (zlib level 6), *.zst (level 3), else plain. */
struct wn_writer *wn_writer_open(const char *path, char *err, size_t errlen);
/* Same, with an explicit codec: "plain", "gzip" or "zstd". */
struct wn_writer *wn_writer_open_codec(const char *path, const char *codec, char *err, size_t errlen);
/* Returns 0 or -1 (message in wn_writer_error(); errno is EPIPE when the
 * reader of stdout went away). */
int wn_writer_write(struct wn_writer *w, const void *p, size_t n);
uint64_t wn_writer_bytes(const struct wn_writer *w); /* uncompressed bytes written */
const char *wn_writer_error(const struct wn_writer *w);
/* Flush, fsync, rename into place, free. Returns 0 or -1 (err filled);
 * the writer is freed either way. */
int wn_writer_commit(struct wn_writer *w, char *err, size_t errlen);
/* Remove the temporary file and free. NULL is a no-op. */
void wn_writer_abort(struct wn_writer *w);

/* Read a whole file, as stored (no decompression), into out (reset
 * first). Returns 0 or -1 (err names the file). */
int wn_read_file(const char *path, struct wn_buf *out, char *err, size_t errlen);

/* Write a whole small file atomically (temp, fsync, rename). */
int wn_write_file_atomic(const char *path, const void *p, size_t n, char *err, size_t errlen);

#endif
