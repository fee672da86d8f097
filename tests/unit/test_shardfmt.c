/* test_shardfmt.c -- shard file layouts byte for byte, patched headers of
 * short last shards (and their hashes), manifest + verify (lib/shardfmt.h). */
#include "tap.h"
#include "shardfmt.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>

static char tmpdir[256];

static void mkdir_fresh(const char *sub, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", tmpdir, sub);
	mkdir(out, 0777);
}

static unsigned char *slurp(const char *dir, const char *name, size_t *n)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (!f) {
		*n = 0;
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)len + 1);
	*n = fread(b, 1, (size_t)len, f);
	b[*n] = 0;
	fclose(f);
	return b;
}

static void put_manifest(struct wn_shardset *s, enum wn_shard_format fmt, uint32_t vocab, uint32_t L)
{
	struct wn_pack_mix mix;
	wn_pack_mix_init(&mix, 0);
	char *argv[] = { "test", NULL };
	struct wn_manifest_info mi = { .format = fmt, .mode = "pretrain", .seq_len = L, .vocab = vocab,
				       .tokenizer_hash = "h", .eos_id = 1, .bos_id = -1, .pad_id = -1, .pad_used = 1,
				       .train = s, .mix = &mix, .argc = 1, .argv = argv };
	char err[256];
	CHECK(wn_manifest_write(s->o.dir, &mi, err, sizeof err) == 0);
	wn_pack_mix_release(&mix);
}

TEST(esize_thresholds)
{
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_MEGATRON, 65499), 2);
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_MEGATRON, 65500), 4);
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_NPY, 65536), 2);
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_NPY, 65537), 4);
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_LLMC, 50257), 2);
	CHECK_EQ_INT(wn_shard_esize(WN_FMT_LLMC, 128256), 4);
}

TEST(megatron_layout_bytes)
{
	char dir[300], err[256];
	mkdir_fresh("mega", dir, sizeof dir);
	struct wn_shardset s;
	struct wn_shardset_opts o = { .format = WN_FMT_MEGATRON, .dir = dir, .prefix = "p", .split = "train", .vocab = 1000 };
	CHECK(wn_shardset_open(&s, &o, err, sizeof err) == 0);
	uint32_t d1[] = { 5, 6, 1 }, d2[] = { 1 }, d3[] = { 999, 1 };
	CHECK(wn_shardset_add(&s, d1, 3, err, sizeof err) == 0);
	CHECK(wn_shardset_add(&s, d2, 1, err, sizeof err) == 0);
	CHECK(wn_shardset_add(&s, d3, 2, err, sizeof err) == 0);
	CHECK(wn_shardset_finish(&s, err, sizeof err) == 0);
	size_t nb, ni;
	unsigned char *bin = slurp(dir, "p.bin", &nb), *idx = slurp(dir, "p.idx", &ni);
	const unsigned char want_bin[] = { 5, 0, 6, 0, 1, 0, 1, 0, 0xe7, 3, 1, 0 };
	CHECK_EQ_MEM(bin, nb, want_bin, sizeof want_bin);
	/* MMIDIDX\0\0, version 1, dtype 8 (uint16), 3 sequences, 4 document
	 * indices, lengths int32, pointers int64, document indices int64 */
	unsigned char want_idx[34 + 12 + 24 + 32] = "MMIDIDX\0\0";
	wn_put_le64(want_idx + 9, 1);
	want_idx[17] = 8;
	wn_put_le64(want_idx + 18, 3);
	wn_put_le64(want_idx + 26, 4);
	uint32_t lens[] = { 3, 1, 2 };
	uint64_t ptrs[] = { 0, 6, 8 };
	for (int i = 0; i < 3; i++) {
		wn_put_le32(want_idx + 34 + 4 * i, lens[i]);
		wn_put_le64(want_idx + 46 + 8 * i, ptrs[i]);
	}
	for (int i = 0; i < 4; i++)
		wn_put_le64(want_idx + 70 + 8 * i, (uint64_t)i);
	CHECK_EQ_MEM(idx, ni, want_idx, sizeof want_idx);
	CHECK_EQ_INT(s.nent, 2);
	char hex[65];
	wn_sha256_hex(bin, nb, hex);
	CHECK_EQ_STR(s.ent[0].sha256, hex);
	put_manifest(&s, WN_FMT_MEGATRON, 1000, 0);
	CHECK_EQ_INT(wn_shards_verify(dir, stdout, err, sizeof err), 0);
	/* a hostile index whose hash is recorded: sequence count 3 + 2^62 makes
	 * the size formula wrap to exactly the file size; verify must say no,
	 * not read past the file */
	wn_put_le64(idx + 18, 3 + (1ull << 62));
	wn_put_le64(idx + 26, 4 + (1ull << 62));
	char p[512];
	snprintf(p, sizeof p, "%s/p.idx", dir);
	FILE *f = fopen(p, "wb");
	fwrite(idx, 1, ni, f);
	fclose(f);
	wn_sha256_hex(idx, ni, hex);
	snprintf(p, sizeof p, "%s/manifest.json", dir);
	json_error_t je;
	json_t *m = json_load_file(p, 0, &je);
	json_object_set_new(json_array_get(json_object_get(m, "files"), 1), "sha256", json_string(hex));
	json_dump_file(m, p, 0);
	json_decref(m);
	FILE *devnull = fopen("/dev/null", "w");
	CHECK_EQ_INT(wn_shards_verify(dir, devnull, err, sizeof err), 1);
	fclose(devnull);
	wn_shardset_release(&s);
	free(bin);
	free(idx);
}

/* Many tokens so the short last shard's header has left the buffer and is
 * patched on disk: its hash must still be right. */
TEST(llmc_shards_and_patched_header)
{
	char dir[300], err[256];
	mkdir_fresh("llmc", dir, sizeof dir);
	struct wn_shardset s;
	struct wn_shardset_opts o = { .format = WN_FMT_LLMC, .dir = dir, .prefix = "x", .split = "train", .vocab = 70000,
				      .shard_tokens = 3000000 };
	CHECK(wn_shardset_open(&s, &o, err, sizeof err) == 0);
	size_t n = 1000;
	uint32_t *t = malloc(n * 4);
	uint64_t total = 0;
	for (int d = 0; d < 5500; d++) {
		for (size_t i = 0; i < n; i++)
			t[i] = (uint32_t)((d * 131 + i) % 70000);
		CHECK(wn_shardset_add(&s, t, n, err, sizeof err) == 0);
		total += n;
	}
	CHECK(wn_shardset_finish(&s, err, sizeof err) == 0);
	CHECK_EQ_INT(s.nent, 2); /* 3M + 2M tokens */
	size_t nb;
	unsigned char *b = slurp(dir, "x_train_000001.bin", &nb);
	CHECK(b != NULL);
	if (b) {
		CHECK_EQ_INT(wn_get_le32(b), 20240801u);
		CHECK_EQ_INT(wn_get_le32(b + 4), 7);
		CHECK_EQ_INT(wn_get_le32(b + 8), total - 3000000);
		CHECK_EQ_INT(nb, 1024 + 4 * (total - 3000000));
		CHECK(nb > (8u << 20)); /* header left the 8 MiB buffer: patched on disk */
		/* first token of shard 1 is token 3,000,000 of the stream */
		CHECK_EQ_INT(wn_get_le32(b + 1024), (3000 * 131) % 70000);
		char hex[65];
		wn_sha256_hex(b, nb, hex);
		CHECK_EQ_STR(s.ent[1].sha256, hex);
		free(b);
	}
	put_manifest(&s, WN_FMT_LLMC, 70000, 0);
	CHECK_EQ_INT(wn_shards_verify(dir, stdout, err, sizeof err), 0);
	wn_shardset_release(&s);
	free(t);
}

TEST(npy_header_and_short_last_shard)
{
	char dir[300], err[256];
	mkdir_fresh("npy", dir, sizeof dir);
	struct wn_shardset s;
	/* 5M tokens per shard of 1000-token rows: 5000 rows; 9.5M tokens of
	 * documents: shard 1 is short, and larger than the 8 MiB buffer, so
	 * its header is patched on disk */
	struct wn_shardset_opts o = { .format = WN_FMT_NPY, .dir = dir, .split = "train", .vocab = 50000, .seq_len = 1000,
				      .pack = WN_PACK_BESTFIT, .pad_id = 1, .buffer_tokens = 1 << 20,
				      .shard_tokens = 5000000 };
	CHECK(wn_shardset_open(&s, &o, err, sizeof err) == 0);
	uint32_t *t = malloc(3000 * 4);
	for (int i = 0; i < 3000; i++)
		t[i] = (uint32_t)(i % 40000) + 2;
	uint64_t total = 0;
	for (int d = 0; total < 9500000; d++) {
		size_t n = 1 + (size_t)(d * 7919) % 2999;
		CHECK(wn_shardset_add(&s, t, n, err, sizeof err) == 0);
		total += n;
	}
	CHECK(wn_shardset_finish(&s, err, sizeof err) == 0);
	CHECK_EQ_INT(s.nent, 4);
	size_t nb;
	unsigned char *b = slurp(dir, "tokens.00000.npy", &nb);
	const char *want = "\x93NUMPY\x01\x00\x76\x00{'descr': '<u2', 'fortran_order': False, 'shape': (5000, 1000), }";
	CHECK(b && !memcmp(b, want, strlen(want) + 1 - 1) && b[127] == '\n' && b[126] == ' ');
	CHECK_EQ_INT(nb, 128 + 5000 * 1000 * 2);
	free(b);
	b = slurp(dir, "segments.00001.npy", &nb);
	struct wn_pack_stats st;
	wn_shardset_stats(&s, &st);
	char shape[64];
	snprintf(shape, sizeof shape, "'shape': (%llu, 1000), }", (unsigned long long)(st.rows - 5000));
	CHECK(b && memmem(b, 128, shape, strlen(shape)) != NULL);
	CHECK_EQ_INT(nb, 128 + (st.rows - 5000) * 1000 * 2);
	CHECK(nb > (8u << 20));
	char hex[65];
	wn_sha256_hex(b, nb, hex);
	CHECK_EQ_STR(s.ent[3].sha256, hex);
	free(b);
	CHECK_EQ_INT(st.tokens, total);
	put_manifest(&s, WN_FMT_NPY, 50000, 1000);
	CHECK_EQ_INT(wn_shards_verify(dir, stdout, err, sizeof err), 0);
	wn_shardset_release(&s);
	free(t);
}

TEST(verify_catches_tampering)
{
	char dir[300], err[256];
	mkdir_fresh("tamper", dir, sizeof dir);
	struct wn_shardset s;
	struct wn_shardset_opts o = { .format = WN_FMT_NPY, .dir = dir, .split = "train", .vocab = 100, .seq_len = 8,
				      .pack = WN_PACK_BESTFIT, .pad_id = 1, .buffer_tokens = 100, .shard_tokens = 64 };
	CHECK(wn_shardset_open(&s, &o, err, sizeof err) == 0);
	uint32_t t[5] = { 10, 11, 12, 13, 1 };
	for (int d = 0; d < 20; d++)
		CHECK(wn_shardset_add(&s, t, 1 + d % 5, err, sizeof err) == 0);
	CHECK(wn_shardset_finish(&s, err, sizeof err) == 0);
	put_manifest(&s, WN_FMT_NPY, 100, 8);
	FILE *devnull = fopen("/dev/null", "w");
	CHECK_EQ_INT(wn_shards_verify(dir, devnull, err, sizeof err), 0);
	/* write a token >= vocab into segments' twin and fix the hash in the
	 * manifest: only the structure check can see it */
	char p[512];
	snprintf(p, sizeof p, "%s/tokens.00000.npy", dir);
	FILE *f = fopen(p, "r+b");
	fseek(f, 128, SEEK_SET);
	fputc(200, f);
	fclose(f);
	CHECK_EQ_INT(wn_shards_verify(dir, devnull, err, sizeof err), 1);
	char hex[65];
	uint64_t sz;
	CHECK(wn_sha256_file(p, hex, &sz, err, sizeof err) == 0);
	snprintf(p, sizeof p, "%s/manifest.json", dir);
	json_error_t je;
	json_t *m = json_load_file(p, 0, &je);
	json_object_set_new(json_array_get(json_object_get(m, "files"), 0), "sha256", json_string(hex));
	json_dump_file(m, p, 0);
	json_decref(m);
	CHECK_EQ_INT(wn_shards_verify(dir, devnull, err, sizeof err), 1);
	snprintf(p, sizeof p, "%s/nothing", dir);
	CHECK_EQ_INT(wn_shards_verify(p, devnull, err, sizeof err), -1);
	fclose(devnull);
	wn_shardset_release(&s);
}

/* Our SHA-256 (SHA extensions, one or two streams) == OpenSSL's, for
 * lengths around block boundaries, updates split at odd places, and two
 * streams of different lengths and partial states. */
TEST(sha256x_matches_openssl)
{
	if (!wn_sha256x_available()) {
		printf("# no SHA extensions on this CPU: skipped\n");
		return;
	}
	size_t cap = 1 << 16;
	unsigned char *a = malloc(cap), *b = malloc(cap);
	uint64_t r = 88172645463325252ull;
	for (size_t i = 0; i < cap; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		a[i] = (unsigned char)r;
		b[i] = (unsigned char)(r >> 8);
	}
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4096, 4160, 65535, 65536 };
	int bad = 0;
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
		for (size_t j = 0; j < sizeof lens / sizeof *lens; j++) {
			size_t na = lens[i], nb = lens[j], cut = na / 3;
			char want_a[65], want_b[65], got_a[65], got_b[65];
			wn_sha256_hex(a, na, want_a);
			wn_sha256_hex(b, nb, want_b);
			struct wn_sha256x x, y;
			wn_sha256x_init(&x);
			wn_sha256x_init(&y);
			/* a: a partial first update, then both together */
			wn_sha256x_update(&x, a, cut);
			wn_sha256x_update2(&x, a + cut, na - cut, &y, b, nb);
			wn_sha256x_final(&x, got_a);
			wn_sha256x_final(&y, got_b);
			bad += strcmp(want_a, got_a) != 0 || strcmp(want_b, got_b) != 0;
			/* whole blocks of both streams in one call */
			wn_sha256x_init(&x);
			wn_sha256x_init(&y);
			wn_sha256x_update2(&x, a, na, &y, b, nb);
			wn_sha256x_final(&x, got_a);
			wn_sha256x_final(&y, got_b);
			bad += strcmp(want_a, got_a) != 0 || strcmp(want_b, got_b) != 0;
		}
	CHECK_EQ_INT(bad, 0);
	free(a);
	free(b);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/wn-shardfmt-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	RUN(esize_thresholds);
	RUN(megatron_layout_bytes);
	RUN(llmc_shards_and_patched_header);
	RUN(npy_header_and_short_last_shard);
	RUN(verify_catches_tampering);
	RUN(sha256x_matches_openssl);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
