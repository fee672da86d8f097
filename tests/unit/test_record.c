/* test_record.c -- record view and builder: passthrough byte for byte,
 * replacement in place, metadata merging. */
#include "record.h"
#include "tap.h"

#include <jansson.h>

static const char *build(const char *line, void (*edit)(struct wn_recout *))
{
	static struct wn_rec r;
	static struct wn_recout o;
	static int init;
	if (!init) {
		wn_rec_init(&r);
		wn_recout_init(&o);
		init = 1;
	}
	if (wn_rec_parse(&r, line, strlen(line), NULL, 0) < 0)
		return "PARSE ERROR";
	wn_recout_begin(&o, &r);
	if (edit)
		edit(&o);
	return wn_recout_finish(&o);
}

TEST(passthrough_keeps_bytes_except_white_space)
{
	const char *in = "{\"id\": \"a\\u00e9\", \"n\": 1.50E+3, \"x\": [1, {\"k\": \"v w\"}], \"metadata\": {\"z\": null}}";
	CHECK_EQ_STR(build(in, NULL),
		     "{\"id\":\"a\\u00e9\",\"n\":1.50E+3,\"x\":[1,{\"k\":\"v w\"}],\"metadata\":{\"z\":null}}\n");
}

static void set_text(struct wn_recout *o)
{
	wn_recout_del(o, "html");
	wn_recout_set_str(o, "text", "T\n\"q\"", 5);
	wn_recout_set_int(o, "n", 7);
}

TEST(replace_in_place_delete_and_append)
{
	CHECK_EQ_STR(build("{\"n\":1,\"html\":\"<p>\",\"url\":\"u\"}", set_text),
		     "{\"n\":7,\"url\":\"u\",\"text\":\"T\\n\\\"q\\\"\"}\n");
}

static void meta(struct wn_recout *o)
{
	wn_recout_meta_str(o, "lang", "en", 2);
	wn_recout_meta_double(o, "score", 0.5);
	wn_recout_meta_int(o, "k", 3);
}

TEST(metadata_merge)
{
	/* existing members kept in order, same key replaced in place */
	CHECK_EQ_STR(build("{\"id\":1,\"metadata\":{\"a\":[1, 2],\"k\":0}}", meta),
		     "{\"id\":1,\"metadata\":{\"a\":[1,2],\"k\":3,\"lang\":\"en\",\"score\":0.5}}\n");
	/* absent: created at the end */
	CHECK_EQ_STR(build("{\"id\":1}", meta), "{\"id\":1,\"metadata\":{\"lang\":\"en\",\"score\":0.5,\"k\":3}}\n");
	/* not an object: replaced by one */
	CHECK_EQ_STR(build("{\"metadata\":\"x\",\"id\":1}", meta),
		     "{\"metadata\":{\"lang\":\"en\",\"score\":0.5,\"k\":3},\"id\":1}\n");
}

TEST(output_is_valid_json_for_hostile_strings)
{
	struct wn_recout o;
	wn_recout_init(&o);
	wn_recout_begin(&o, NULL);
	const char bad[] = "\xff\xfe bad \x00 nul \xed\xa0\x80";
	wn_recout_set_str(&o, "text", bad, sizeof bad - 1);
	wn_recout_meta_str(&o, "k\"ey", "v", 1);
	const char *line = wn_recout_finish(&o);
	json_error_t e;
	json_t *j = json_loads(line, JSON_ALLOW_NUL, &e);
	CHECK(j != NULL);
	json_decref(j);
	wn_recout_release(&o);
}

TEST(get_str_types)
{
	struct wn_rec r;
	struct wn_buf b = WN_BUF_INIT;
	wn_rec_init(&r);
	const char *in = "{\"text\":\"a\\nb\",\"n\":1,\"z\":null,\"text2\":\"x\",\"text\":\"last\"}";
	CHECK(wn_rec_parse(&r, in, strlen(in), NULL, 0) == 0);
	CHECK_EQ_INT(wn_rec_get_str(&r, "text", &b), 1);
	CHECK_EQ_STR(b.data, "last"); /* last duplicate wins, as in jansson */
	CHECK_EQ_INT(wn_rec_get_str(&r, "n", &b), -1);
	CHECK_EQ_INT(wn_rec_get_str(&r, "z", &b), 0);
	CHECK_EQ_INT(wn_rec_get_str(&r, "missing", &b), 0);
	char err[128];
	CHECK(wn_rec_parse(&r, "[1]", 3, err, sizeof err) < 0);
	CHECK(strstr(err, "not a JSON object") != NULL);
	wn_rec_release(&r);
	wn_buf_release(&b);
}

int main(void)
{
	RUN(passthrough_keeps_bytes_except_white_space);
	RUN(replace_in_place_delete_and_append);
	RUN(metadata_merge);
	RUN(output_is_valid_json_for_hostile_strings);
	RUN(get_str_types);
	return tap_done();
}
