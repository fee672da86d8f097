/* test_tokstream.c -- token stream framing: round trip, truncation, corruption. */
#include "tokstream.h"
#include "tap.h"

static char path[] = "/tmp/wn-test-tokstream.XXXXXX";

static void write_stream(int ndocs, int with_trailer)
{
	struct wn_writer *w = wn_writer_open_codec(path, "plain", NULL, 0);
	struct wn_tokstream_header h;
	wn_tokstream_header_init(&h);
	h.vocab_size = 100277;
	h.eos_id = 100257;
	snprintf(h.tokenizer_hash, sizeof h.tokenizer_hash, "abc123");
	struct wn_tokwriter tw;
	wn_tokwriter_start(&tw, w, &h, "\"tokenizer\":\"x\"", NULL, 0);
	for (int d = 0; d < ndocs; d++) {
		uint32_t tok[100];
		for (int i = 0; i <= d; i++)
			tok[i] = (uint32_t)(d * 1000 + i);
		char id[16];
		int n = snprintf(id, sizeof id, "doc%d", d);
		wn_tokwriter_doc(&tw, tok, (size_t)d + 1, d % 2 ? "web" : "", d % 2 ? 3 : 0, id, (size_t)n);
	}
	if (with_trailer)
		wn_tokwriter_end(&tw);
	wn_writer_commit(w, NULL, 0);
	wn_tokstream_header_release(&h);
}

/* Returns documents read, or -1 on error (message in err). */
static int read_stream(char *err, size_t errlen, int check)
{
	struct wn_reader *r = wn_reader_open(path, err, errlen);
	struct wn_tokreader tr;
	struct wn_tokdoc d;
	wn_tokdoc_init(&d);
	int n = 0, rc;
	if (wn_tokreader_open(&tr, r, err, errlen) < 0) {
		n = -1;
		goto out;
	}
	if (check) {
		CHECK_EQ_INT(tr.h.vocab_size, 100277);
		CHECK_EQ_INT(tr.h.eos_id, 100257);
		CHECK_EQ_INT(tr.h.bos_id, -1);
		CHECK_EQ_STR(tr.h.tokenizer_hash, "abc123");
		CHECK(strstr(tr.h.json.data, "\"tokenizer\":\"x\"") != NULL);
	}
	while ((rc = wn_tokreader_next(&tr, &d, err, errlen)) > 0) {
		if (check) {
			CHECK_EQ_INT(d.ntokens, n + 1);
			CHECK_EQ_INT(d.tokens[n], n * 1000 + n);
			CHECK_EQ_STR(d.source.data, n % 2 ? "web" : "");
		}
		n++;
	}
	if (rc < 0)
		n = -1;
out:
	wn_tokreader_release(&tr);
	wn_tokdoc_release(&d);
	wn_reader_free(r);
	return n;
}

TEST(roundtrip)
{
	char err[256];
	write_stream(50, 1);
	CHECK_EQ_INT(read_stream(err, sizeof err, 1), 50);
}

TEST(missing_trailer_is_truncation)
{
	char err[256] = "";
	write_stream(5, 0);
	CHECK_EQ_INT(read_stream(err, sizeof err, 0), -1);
	CHECK(strstr(err, "truncated") != NULL);
}

TEST(cut_in_the_middle_and_bad_magic)
{
	char err[256] = "";
	write_stream(20, 1);
	truncate(path, 300);
	CHECK_EQ_INT(read_stream(err, sizeof err, 0), -1);
	CHECK(strstr(err, "truncated") != NULL);
	FILE *f = fopen(path, "r+b");
	fputc('X', f);
	fclose(f);
	CHECK_EQ_INT(read_stream(err, sizeof err, 0), -1);
	CHECK(strstr(err, "not a winnow token stream") != NULL);
}

int main(void)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	RUN(roundtrip);
	RUN(missing_trailer_is_truncation);
	RUN(cut_in_the_middle_and_bad_magic);
	unlink(path);
	return tap_done();
}
