/*
 * bytelevel.c -- GPT-2 byte <-> unicode table (see bytelevel.h).
 */
#include "bytelevel.h"

static int printable(unsigned b)
{
	return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t wn_bytelevel_codepoint(unsigned char b)
{
	if (printable(b))
		return b;
	/* rank of b among the non-printable bytes, in byte order */
	unsigned n;
	if (b <= 0x20)
		n = b;                      /* 0x00..0x20: 33 bytes */
	else if (b <= 0xA0)
		n = 33 + (b - 0x7F);        /* 0x7F..0xA0: 34 bytes */
	else
		n = 67;                     /* 0xAD */
	return 0x100 + n;
}

void wn_bytelevel_encode(unsigned char b, char out[3])
{
	uint32_t cp = wn_bytelevel_codepoint(b);
	if (cp < 0x80) {
		out[0] = (char)cp;
		out[1] = 0;
	} else {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		out[2] = 0;
	}
}

void wn_bytelevel_encode_str(const char *s, size_t n, struct wn_buf *out)
{
	char c[3];
	for (size_t i = 0; i < n; i++) {
		wn_bytelevel_encode((unsigned char)s[i], c);
		wn_buf_add(out, c, c[1] ? 2 : 1);
	}
}

int wn_bytelevel_byte(uint32_t cp)
{
	if (cp < 0x100)
		return printable(cp) ? (int)cp : -1;
	if (cp > 0x143)
		return -1;
	unsigned n = cp - 0x100;
	if (n <= 0x20)
		return (int)n;
	if (n < 67)
		return (int)(0x7F + n - 33);
	return 0xAD;
}

long wn_bytelevel_decode(const char *s, size_t n, struct wn_buf *out)
{
	long added = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		if (c < 0x80) {
			cp = c;
			i++;
		} else if ((c & 0xE0) == 0xC0 && i + 1 < n && ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
			cp = (uint32_t)(c & 0x1F) << 6 | ((unsigned char)s[i + 1] & 0x3F);
			i += 2;
			if (cp < 0x80)
				return -1; /* overlong */
		} else {
			return -1;
		}
		int b = wn_bytelevel_byte(cp);
		if (b < 0)
			return -1;
		wn_buf_addc(out, (char)b);
		added++;
	}
	return added;
}
