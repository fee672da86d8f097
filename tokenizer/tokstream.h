/*
 * tokstream.h -- the token stream between winnow-tokenize and winnow-pack
 * (docs/DESIGN.md "Token stream"). Binary, little-endian, readable from a
 * pipe, self-delimiting so that a truncated stream is detected.
 *
 *   header   8 bytes   magic "WNTOK\0\1\n" (the \1 is the format version)
 *            u32       H, length of the header JSON
 *            H bytes   header JSON object, at least:
 *                      {"vocab_size":N,"tokenizer_hash":"<hex>","eos_id":N,
 *                       "bos_id":N,"pad_id":N}   (-1 = none)
 *                      other members are kept and passed on (e.g. "tokenizer")
 *   document u32       n, number of tokens (< 0xFFFFFFFF; EOS/BOS included)
 *            u32       s, length of the source tag
 *            u32       i, length of the document id
 *            s bytes   source tag (UTF-8, may be empty)
 *            i bytes   document id (UTF-8, may be empty)
 *            n x u32   token ids
 *   trailer  u32       0xFFFFFFFF
 *            u64       number of documents
 *            u64       number of tokens
 *
 * A stream that ends without its trailer, or whose trailer counts disagree
 * with what was read, is an error ("truncated token stream").
 *
 * Ownership: the writer/reader borrow the wn_writer / wn_reader; a
 * wn_tokdoc owns its arrays and is reused across documents.
 */
#ifndef WN_TOKSTREAM_H
#define WN_TOKSTREAM_H

#include "buf.h"
#include "io.h"

#define WN_TOKSTREAM_MAGIC "WNTOK\0\1\n"
#define WN_TOKSTREAM_END 0xFFFFFFFFu

struct wn_tokstream_header {
	uint32_t vocab_size;
	char tokenizer_hash[129];
	int64_t eos_id, bos_id, pad_id; /* -1 = none */
	struct wn_buf json; /* the header JSON as read or written */
};

void wn_tokstream_header_init(struct wn_tokstream_header *h);
void wn_tokstream_header_release(struct wn_tokstream_header *h);

/* Writer side: counts documents and tokens for the trailer. */
struct wn_tokwriter {
	struct wn_writer *w; /* borrowed */
	uint64_t ndocs, ntokens;
};

/* Write the header. `extra_json` (may be NULL) is a list of raw
 * `"key":value` members appended to the header object. */
int wn_tokwriter_start(struct wn_tokwriter *tw, struct wn_writer *w, const struct wn_tokstream_header *h,
		       const char *extra_json, char *err, size_t errlen);
int wn_tokwriter_doc(struct wn_tokwriter *tw, const uint32_t *tok, size_t n, const char *src, size_t srclen,
		     const char *id, size_t idlen);
int wn_tokwriter_end(struct wn_tokwriter *tw);

struct wn_tokdoc {
	uint32_t *tokens;
	size_t ntokens, cap;
	struct wn_buf source, id;
};

void wn_tokdoc_init(struct wn_tokdoc *d);
void wn_tokdoc_release(struct wn_tokdoc *d);

struct wn_tokreader {
	struct wn_reader *r; /* borrowed */
	struct wn_tokstream_header h;
	uint64_t ndocs, ntokens; /* read so far */
	int ended;
};

/* Read and check the header. Returns 0 or -1 (err filled). */
int wn_tokreader_open(struct wn_tokreader *tr, struct wn_reader *r, char *err, size_t errlen);
/* Next document. Returns 1, 0 at the (verified) trailer, -1 on error. */
int wn_tokreader_next(struct wn_tokreader *tr, struct wn_tokdoc *d, char *err, size_t errlen);
void wn_tokreader_release(struct wn_tokreader *tr);

#endif
