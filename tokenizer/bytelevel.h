/*
 * bytelevel.h -- GPT-2's bytes_to_unicode table, used by byte-level BPE
 * tokenizer.json files: every byte value is shown as one printable Unicode
 * character, so vocabulary entries and merges are valid JSON strings.
 * Bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for themselves (as
 * U+0021.., U+00A1.., U+00AE..); the other 68 bytes (0x00..0x20, 0x7F..0xA0,
 * 0xAD) map, in byte order, to U+0100, U+0101, ... U+0143. So a space is
 * "Ġ" (U+0120) and a newline "Ċ" (U+010A).
 *
 * Pure functions over a static table; no state, thread-safe.
 */
#ifndef WN_BYTELEVEL_H
#define WN_BYTELEVEL_H

#include "buf.h"

/* The character for byte b as NUL-terminated UTF-8 (1 or 2 bytes) in out. */
void wn_bytelevel_encode(unsigned char b, char out[3]);
/* The code point for byte b. */
uint32_t wn_bytelevel_codepoint(unsigned char b);
/* Append the byte-level form of s[0..n) to out. */
void wn_bytelevel_encode_str(const char *s, size_t n, struct wn_buf *out);
/* Byte for code point cp, or -1 when cp is not in the table. */
int wn_bytelevel_byte(uint32_t cp);
/* Decode a byte-level string (UTF-8 of table characters) into raw bytes
 * appended to out. Returns the number of bytes appended, or -1 (out then
 * holds a partial result) when s holds a character outside the table or
 * invalid UTF-8. */
long wn_bytelevel_decode(const char *s, size_t n, struct wn_buf *out);

#endif
