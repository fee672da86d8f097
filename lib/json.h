/*
 * json.h -- a purpose-built JSON scanner for JSONL records.
 *
 * Why not a JSON library: a load+dump loop through jansson runs at ~65 MB/s
 * and re-serializes every value (changing number spelling, escapes and key
 * order). A record stage needs two or three fields; the rest must pass
 * through byte for byte. So we validate the whole line in one pass (strict
 * RFC 8259 grammar, UTF-8 in strings, escapes, surrogate pairs, nesting
 * bounded by WN_JSON_MAX_DEPTH) and remember where each top-level member's
 * key and value lie; values are decoded only when asked for. The tests use
 * jansson as the oracle for what is valid and what a string decodes to.
 *
 * Ownership: spans point into the caller's line; they are valid as long as
 * the line is.
 */
#ifndef WN_JSON_H
#define WN_JSON_H

#include "buf.h"

#define WN_JSON_MAX_DEPTH 1000

enum wn_jtype { WN_J_NULL, WN_J_FALSE, WN_J_TRUE, WN_J_NUMBER, WN_J_STRING, WN_J_ARRAY, WN_J_OBJECT };

/* One member of an object: raw spans into the line. `key` includes its
 * quotes; `val` is the raw value text (a string value includes its quotes). */
struct wn_jmember {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
	enum wn_jtype type;
	int key_plain; /* key has no escapes: key+1 .. klen-2 is the key itself */
};

/* Validate one JSON value spanning exactly s[0..n) (white space around it
 * allowed). Returns 0, or -1 with err naming the byte offset (from 0). */
int wn_json_validate(const char *s, size_t n, char *err, size_t errlen);

/* Validate an object and collect its direct members (in order, duplicates
 * kept) into *m (grown as needed; *cap tracks its size). Returns the number
 * of members, or -1 (err filled) when s is invalid JSON or not an object. */
int wn_json_object_members(const char *s, size_t n, struct wn_jmember **m, size_t *cap,
			   char *err, size_t errlen);

/* Does member m have key `key` (a plain C string)? Handles escaped keys. */
int wn_jmember_is(const struct wn_jmember *m, const char *key);

/* Append the decoded UTF-8 of a raw JSON string (with quotes) to out.
 * The string must have been validated. Returns 0, -1 when it is not a string. */
int wn_json_str_decode(const char *val, size_t vlen, struct wn_buf *out);

/* Append s[0..n) as a quoted JSON string. Invalid UTF-8 sequences are
 * replaced by U+FFFD (so the output is always valid JSON); control
 * characters, '"' and '\\' are escaped; everything else is copied as is.
 * Returns the number of replaced sequences. */
size_t wn_json_str_encode(struct wn_buf *out, const char *s, size_t n);

/* Append a validated raw value with white space between tokens removed
 * (strings are copied verbatim). */
void wn_json_compact(struct wn_buf *out, const char *val, size_t vlen);

/* Parse a raw JSON number as int64 / double. Returns 0 or -1. */
int wn_json_int(const char *val, size_t vlen, int64_t *out);
int wn_json_double(const char *val, size_t vlen, double *out);

/* Is s[0..n) valid UTF-8 (no surrogates, no overlongs, <= U+10FFFF)?
 * Returns n when valid, else the offset of the first bad byte. */
size_t wn_utf8_valid_prefix(const char *s, size_t n);

#endif
