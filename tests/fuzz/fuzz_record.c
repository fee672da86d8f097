/* fuzz_record.c -- libFuzzer target for the record layer: the JSON scanner,
 * the record view and builder. Properties checked on every input:
 *  - never crash, never read out of bounds (ASan/UBSan);
 *  - a valid object, compacted, is still valid and has the same members;
 *  - a record rebuilt with edits is valid JSON;
 *  - string decode followed by encode gives valid JSON. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wn_rec r;
	static struct wn_recout o;
	static struct wn_buf b, c;
	static int init;
	if (!init) {
		wn_rec_init(&r);
		wn_recout_init(&o);
		init = 1;
	}
	const char *s = (const char *)data;
	int valid = wn_json_validate(s, size, NULL, 0) == 0;
	if (wn_rec_parse(&r, s, size, NULL, 0) < 0)
		return 0;
	if (!valid)
		abort(); /* an object the record parser accepts must be valid JSON */
	wn_buf_reset(&b);
	wn_json_compact(&b, s, size);
	struct wn_rec r2;
	wn_rec_init(&r2);
	if (wn_rec_parse(&r2, b.data, b.len, NULL, 0) < 0 || r2.nm != r.nm)
		abort();
	wn_rec_release(&r2);
	for (size_t i = 0; i < r.nm; i++)
		if (r.m[i].type == WN_J_STRING) {
			wn_buf_reset(&c);
			wn_json_str_decode(r.m[i].val, r.m[i].vlen, &c);
			wn_buf_reset(&b);
			wn_json_str_encode(&b, c.data, c.len);
			if (wn_json_validate(b.data, b.len, NULL, 0) < 0)
				abort();
		}
	wn_recout_begin(&o, &r);
	wn_recout_del(&o, "html");
	wn_recout_set_str(&o, "text", s, size);
	wn_recout_meta_int(&o, "n", (int64_t)size);
	wn_recout_meta_str(&o, "rejected_by", "fuzz:x", 6);
	const char *line = wn_recout_finish(&o);
	if (wn_json_validate(line, o.line.len, NULL, 0) < 0)
		abort();
	return 0;
}
