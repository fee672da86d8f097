/*
 * shardfmt.h -- training shard writers (npy, Megatron indexed dataset,
 * llm.c), manifest.json, and the checker behind `winnow-pack --verify`.
 * Layouts are in docs/shards.md.
 *
 * A wn_shardset is one split (train or val) of one output directory: it
 * takes documents (uint32 token ids, already checked against the vocabulary)
 * and writes shard files. Every file is written under a temporary name,
 * hashed (SHA-256) while it is written, fsync'ed and renamed into place when
 * complete; the manifest is written last, so a directory without
 * manifest.json is an interrupted run.
 *
 * Why not lib/io.h's wn_writer: shard headers carry counts that are known
 * only when a shard is closed (rows of the last npy shard, tokens of the last
 * llm.c shard), so the writer must patch its header in place (pwrite), and
 * the packer fills rows directly into the output buffer (no extra copy at
 * several hundred MB/s).
 *
 * Ownership: a shardset owns its files, packer and file list; the options'
 * strings are borrowed for the set's lifetime.
 */
#ifndef WN_SHARDFMT_H
#define WN_SHARDFMT_H

#include "pack.h"
#include "hash.h"

#include <aio.h>
#include <pthread.h>

enum wn_shard_format { WN_FMT_NPY = 0, WN_FMT_MEGATRON = 1, WN_FMT_LLMC = 2 };

/* SHA-256 state for wn_sha256x_* (below). */
struct wn_sha256x {
	uint32_t h[8];
	unsigned char b[64];
	size_t n;
	uint64_t total;
};

/* Output buffers of closed files, kept for the next file of the set: fresh
 * 8 MiB buffers for every shard were page-faulted in (and zeroed) anew,
 * pinned anew for O_DIRECT, and unmapped again. */
struct wn_shardbufs {
	unsigned char *b[8];
	int n;
};

/* An output file being written. */
struct wn_shardfile {
	struct wn_shardbufs *pool; /* where its buffers come from and go back to */
	int fd, direct; /* direct: opened with O_DIRECT */
	char *path, *tmp;
	/* buffers in rotation: buf = bufs[cur] is being filled, the others
	 * are being hashed or written (three, so that the disk writes one
	 * while the next is hashed and the packer fills the third) */
	unsigned char *bufs[3], *buf;
	int cur;
	struct aiocb cbs[3]; /* asynchronous write of each buffer */
	int busy[3];
	size_t len, cap;
	uint64_t bytes; /* handed to the writer so far (written or in flight) */
	/* Writer thread: hashes full buffers, then pwrite()s them, while the
	 * packer fills the other ones. `owner` is the file whose thread takes
	 * this file's buffers: itself, or (npy segments) the tokens file, so
	 * that one thread hashes both files two streams at a time. Owner
	 * fields: job 0 idle, 1 pending, 2 quit; jf the job's files. */
	struct wn_shardfile *owner, *jf[2];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int has_thread, thread_failed, job;
	/* this file's part of a job */
	const unsigned char *jbuf;
	size_t jn;
	uint64_t joff;
	int jidx, jerr, inflight;
	/* SHA-256: with the x86 SHA extensions our own (two streams at a
	 * time), else OpenSSL's */
	int ni;
	struct wn_sha256 sha;
	struct wn_sha256x x;
	int rehash; /* header patched after hashing started: hash the file again */
};

/* One finished file, for the manifest. */
struct wn_shard_entry {
	char *name;       /* file name inside the directory */
	const char *split; /* "train" / "val" (static) */
	const char *kind;  /* "tokens", "segments", "bin", "idx", "llmc" (static) */
	uint64_t bytes, rows, tokens, docs;
	char sha256[65];
};

struct wn_shardset_opts {
	enum wn_shard_format format;
	const char *dir, *prefix, *split; /* split: "train" or "val" */
	uint32_t vocab;
	uint32_t seq_len;        /* npy */
	enum wn_pack_kind pack;  /* npy */
	uint32_t pad_id;         /* npy */
	uint64_t buffer_tokens;  /* npy */
	uint64_t shard_tokens;   /* npy (rows per shard = shard_tokens / seq_len) and llmc */
	uint64_t seed;
};

struct wn_shardset {
	struct wn_shardset_opts o;
	unsigned esize; /* bytes per token id in the files */
	struct wn_packer pk; /* npy */
	struct wn_shardfile *f1, *f2; /* open files: npy tokens+segments, megatron bin, llmc shard */
	size_t shard;       /* index of the next shard */
	uint64_t in_shard;  /* rows (npy) or tokens (llmc) in the open shard */
	uint64_t per_shard;
	/* megatron: per-document lengths for the index */
	int32_t *lens;
	size_t nlens, lenscap;
	/* counts for formats without packing (npy counts live in pk.st) */
	uint64_t docs, tokens;
	struct wn_shard_entry *ent;
	size_t nent, entcap;
	struct wn_shardbufs bufs;
};

/* Token width of a format for a vocabulary: Megatron switches to int32 at
 * 65500 (as its indexed_dataset does); npy and llm.c at 65536. */
unsigned wn_shard_esize(enum wn_shard_format f, uint32_t vocab);
const char *wn_shard_format_name(enum wn_shard_format f);

int wn_shardset_open(struct wn_shardset *s, const struct wn_shardset_opts *o, char *err, size_t errlen);
/* Add one document: n little-endian uint32 ids at any alignment (a uint32_t
 * array on our little-endian hosts), all < vocab. Returns 0 or -1 (I/O
 * error). */
int wn_shardset_add(struct wn_shardset *s, const void *le32, size_t n, char *err, size_t errlen);
/* The same for ids that stay valid and unchanged until wn_shardset_release
 * (a mapped input file): npy packs them by reference (wn_packer_add_ref)
 * instead of copying. */
int wn_shardset_add_ref(struct wn_shardset *s, const void *le32, size_t n, char *err, size_t errlen);
/* Flush, write the last shard and the index; files are in place after it. */
int wn_shardset_finish(struct wn_shardset *s, char *err, size_t errlen);
/* Remove unfinished temporary files (finished ones stay; no manifest). */
void wn_shardset_abort(struct wn_shardset *s);
void wn_shardset_release(struct wn_shardset *s);
/* Counts of the set (npy: the packer's; others: docs and tokens, rows = 0). */
void wn_shardset_stats(const struct wn_shardset *s, struct wn_pack_stats *st);

/* ---- an output directory: train + val sets, validation choice, mixing ---- */

struct wn_shardout_opts {
	struct wn_shardset_opts set; /* .split is set per set */
	uint64_t val_docs;           /* reservoir sample of this many documents */
	double val_frac;             /* or: each document with this probability */
};

struct wn_shardout {
	struct wn_shardset train, val;
	int have_val;
	uint64_t val_docs;
	double val_frac;
	struct wn_rng vrng;
	struct wn_shardout_res { uint32_t *tok; size_t n; struct wn_pack_source *src; } *res;
	size_t nres;
	uint64_t eligible;
	struct wn_pack_mix *mix; /* borrowed */
	/* documents so far: written (to train, repeats counted once, or to
	 * val) and sampled out by the mix; the caller turns the increments
	 * into its accounting */
	uint64_t written, dropped;
};

/* Create the directory if needed, remove a stale manifest.json (a rerun that
 * dies must not look complete), open the sets. */
int wn_shardout_open(struct wn_shardout *o, const struct wn_shardout_opts *opts, struct wn_pack_mix *mix, char *err,
		     size_t errlen);
/* Route one document of source s (le32 as for wn_shardset_add): validation
 * (by the seed), else train, repeated as the mix says. Returns 0 or -1 (I/O
 * error). */
int wn_shardout_add(struct wn_shardout *o, const void *le32, size_t n, struct wn_pack_source *s, char *err,
		    size_t errlen);
/* The same by reference: le32 as for wn_shardset_add_ref, valid until
 * wn_shardout_release. */
int wn_shardout_add_ref(struct wn_shardout *o, const void *le32, size_t n, struct wn_pack_source *s, char *err,
			size_t errlen);
/* Write the validation reservoir, finish both sets, then remove shard files
 * of an earlier run in the directory (names of any of our formats with this
 * prefix that this run did not write), so that a trainer globbing the
 * directory sees only this run; each removal is reported on `log`. */
int wn_shardout_finish(struct wn_shardout *o, FILE *log, char *err, size_t errlen);
void wn_shardout_release(struct wn_shardout *o); /* aborts unfinished files */

/* ---- manifest ------------------------------------------------------------ */

struct wn_manifest_input {
	const char *path;
	uint64_t bytes;
	char xxh3_128[33]; /* XXH3-128, hex as xxh128sum prints it; "" when not
	                      hashed (stdin, pipes) */
};

struct wn_manifest_info {
	enum wn_shard_format format;
	const char *mode;   /* "pretrain" / "midtrain" */
	enum wn_pack_kind pack;
	uint32_t seq_len;
	uint64_t seed, min_doc_tokens;
	uint32_t vocab;
	const char *tokenizer_hash;
	int64_t eos_id, bos_id, pad_id, pad_used;
	const struct wn_shardset *train, *val; /* val may be NULL */
	struct wn_pack_mix *mix; /* sources (and the mix spec when it has entries) */
	uint64_t docs_in, docs_rejected, docs_bad;
	int argc;
	char **argv;
	const struct wn_manifest_input *inputs;
	size_t ninputs;
};

/* Write DIR/manifest.json atomically (and fsync the directory). */
int wn_manifest_write(const char *dir, const struct wn_manifest_info *mi, char *err, size_t errlen);

/* Recheck DIR against its manifest: every file's size and SHA-256, and the
 * structure of each format (headers, shapes, index consistency, token ids
 * below the vocabulary, segment ordinals, padding). Problems are printed to
 * `log` one per line. Returns 0 when all is well, 1 on a mismatch, -1 when
 * the manifest cannot be read (err filled). */
int wn_shards_verify(const char *dir, FILE *log, char *err, size_t errlen);

/* Provenance of the input files: each regular file is hashed (XXH3-128),
 * a mapped one by the reader as it goes (wn_tokmap_hash; the rest at
 * wn_inputs_finish), others by a background thread while the caller packs;
 * stdin and pipes are not (they cannot be read twice), their size is what
 * the caller read. */
struct wn_hashjob;
struct wn_inputs {
	struct wn_manifest_input *in; /* n entries, for wn_manifest_info */
	struct wn_hashjob **hj;
	uint64_t *raw; /* caller: bytes read per input (used for non-files) */
	const void **map; /* regular files: a read-only mapping (NULL: none), */
	size_t *mapn;     /* shared by the hash thread and wn_tokmap_open */
	int n, all_regular;
};

void wn_inputs_start(struct wn_inputs *x, char **paths, int n);
/* Join the hash threads and fill x->in; problems go to `log`. */
void wn_inputs_finish(struct wn_inputs *x, FILE *log);
void wn_inputs_release(struct wn_inputs *x); /* joins what is still running */

/* SHA-256 with the x86 SHA extensions (two streams interleaved: ~1.8x the
 * throughput of one). wn_sha256x_available() is 0 elsewhere; then the
 * other functions must not be called. */
int wn_sha256x_available(void);
void wn_sha256x_init(struct wn_sha256x *s);
void wn_sha256x_update(struct wn_sha256x *s, const void *p, size_t n);
/* Both updates at once (whole blocks of both streams interleaved). */
void wn_sha256x_update2(struct wn_sha256x *a, const void *pa, size_t na, struct wn_sha256x *b, const void *pb,
			size_t nb);
void wn_sha256x_final(struct wn_sha256x *s, char hex[65]);

/* Write a small file atomically (temp name, fsync, rename). */
int wn_shard_write_small(const char *path, const void *p, size_t n, char *err, size_t errlen);


/* ---- reading a token stream file through a mapping ---------------------- */

/* A regular, uncompressed token stream file is mapped rather than read:
 * read() copied every byte from the page cache into the reader (perf: a
 * fifth of the packing thread's time), and a document's tokens are used in
 * place, aligned or not (readers of them load with memcpy). Same checks and
 * messages as tokenizer/tokstream.c's reader. */
#include "tokstream.h"

struct wn_tokmap {
	const unsigned char *p; /* the mapping */
	size_t n, pos;          /* file size; offset of the next document */
	int borrowed;           /* the mapping is wn_inputs' */
	char *name;
	struct wn_tokstream_header h;
	uint64_t ndocs, ntokens;
	int ended;
	const char *source, *id; /* the last document's tags, in the mapping */
	size_t source_len, id_len;
	size_t populated; /* bytes mapped in ahead of the reader */
	struct wn_hashjob *hash; /* see wn_tokmap_hash */
};

/* Returns 1 (mapped, header read), 0 (not a regular uncompressed token
 * stream, or mapping failed: use wn_reader + wn_tokreader), -1 (bad header;
 * err filled). map/mapn: an existing mapping of the file (borrowed; must
 * outlive m), or NULL to map it here. */
int wn_tokmap_open(struct wn_tokmap *m, const char *path, const void *map, size_t mapn, char *err, size_t errlen);
/* Next document: 1 (*le32 points to its *ntokens ids in the mapping,
 * little-endian uint32 at any alignment; m->source and m->id to its tags;
 * all valid while the mapping is), 0 at the verified trailer, -1 on error. */
int wn_tokmap_next(struct wn_tokmap *m, uint32_t *ntokens, const unsigned char **le32, char *err, size_t errlen);
/* Hash the input (provenance) as its documents are read: m is the mapping
 * of input i of x (wn_inputs_start). A no-op otherwise. */
void wn_tokmap_hash(struct wn_tokmap *m, struct wn_inputs *x, int i);
void wn_tokmap_close(struct wn_tokmap *m);

#endif
