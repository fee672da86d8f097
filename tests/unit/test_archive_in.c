/* test_archive_in.c -- lib/archive_in: tar and zip members through
 * libarchive fed by a wn_din, member kinds, the size cap, a cut archive.
 * Uses tests/data/ingest/site.{tar,zip} (run from the repository root). */
#include "tap.h"

#include "archive_in.h"
#include "buf.h"

static void read_members(const char *path, size_t max, int *n, int *html, int *text, int *large, int *rc_end)
{
	char err[256];
	*n = *html = *text = *large = 0;
	struct wn_din *d = wn_din_open(path, err, sizeof err);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(wn_din_sniff(d), WN_FMT_ARCHIVE);
	struct wn_ain *a = wn_ain_open(d, max, err, sizeof err);
	CHECK(a != NULL);
	struct wn_ain_member m;
	int rc;
	while (a && (rc = wn_ain_next(a, &m, err, sizeof err)) > 0) {
		(*n)++;
		*large += m.too_large;
		int k = wn_ain_member_kind(&m);
		*html += k == 'h';
		*text += k == 't';
		if (!strcmp(m.path, "site/notes.txt"))
			CHECK_EQ_MEM(m.data, m.len, "Plain notes.\n", 13);
	}
	*rc_end = a ? rc : -2;
	wn_ain_free(a);
	wn_din_free(d);
}

TEST(tar_and_zip)
{
	const char *files[] = { "tests/data/ingest/site.tar", "tests/data/ingest/site.zip" };
	for (int i = 0; i < 2; i++) {
		int n, html, text, large, rc;
		read_members(files[i], 1 << 20, &n, &html, &text, &large, &rc);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(n, 5); /* the directory entry is not a member */
		CHECK_EQ_INT(html, 3); /* index.html, empty.html, "page" sniffed */
		CHECK_EQ_INT(text, 1);
		CHECK_EQ_INT(large, 0);
		read_members(files[i], 16, &n, &html, &text, &large, &rc);
		CHECK_EQ_INT(large, 2); /* the two pages over 16 bytes */
	}
}

TEST(cut_archive)
{
	FILE *f = fopen("tests/data/ingest/site.tar", "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	char buf[10240];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	char path[] = "/tmp/test_archive_in.XXXXXX";
	int fd = mkstemp(path);
	/* keep the first member's header and half its data */
	if (fd < 0 || write(fd, buf, WN_MIN(n, (size_t)1024 + 700)) < 0)
		abort();
	close(fd);
	int m, html, text, large, rc;
	read_members(path, 1 << 20, &m, &html, &text, &large, &rc);
	CHECK(rc < 0 || m <= 2); /* an error, never a crash or invented members */
	unlink(path);
}

int main(void)
{
	RUN(tar_and_zip);
	RUN(cut_archive);
	return tap_done();
}
