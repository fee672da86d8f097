/*
 * pretok.h -- pre-tokenization: split text into the pieces that BPE encodes
 * one by one, with a regular expression (PCRE2, JIT, UTF + UCP).
 *
 * Built-in patterns (the `pat_str` of the encoders shipped in the npm
 * `tiktoken` package 1.0.22, which are also what Hugging Face tokenizer.json
 * files of cl100k-style tokenizers carry):
 *   "gpt2"       GPT-2 / r50k / p50k
 *   "cl100k"     cl100k_base, original form
 *   "cl100k-py"  Python tiktoken's newer cl100k form (possessive quantifiers,
 *                `\s++$`): differs from "cl100k" on text that ends in white
 *                space after a newline: "a\n  " splits "a","\n","  " in
 *                the original form and "a","\n  " in this one
 *   "o200k"      o200k_base
 * Any other string is compiled as a PCRE2 regex.
 *
 * Semantics follow Rust's regex / fancy-regex as tiktoken uses them, not
 * PCRE2's defaults: `\s` / `\S` are rewritten to Unicode White_Space
 * (PCRE2's UCP `\s` also matches U+180E), and `$` matches only at the very
 * end (PCRE2_DOLLAR_ENDONLY).
 *
 * Text between matches ("gaps"; the built-in patterns leave none) is
 * passed on as pieces of its own, so pieces always concatenate to the text,
 * unless the pretok was created with WN_PRETOK_DROP_GAPS (the behaviour of
 * tiktoken and of HF's Split(behavior=Removed, invert=true)).
 *
 * Ownership / threads: a wn_pretok is immutable after wn_pretok_new and can
 * be shared by threads; each thread uses its own wn_pretok_state.
 */
#ifndef WN_PRETOK_H
#define WN_PRETOK_H

#include "wn.h"

struct wn_pretok;
struct wn_pretok_state;

enum { WN_PRETOK_DROP_GAPS = 1 };

/* "gpt2", "cl100k", "cl100k-py", "o200k", or a PCRE2 regex. NULL + err on error. */
struct wn_pretok *wn_pretok_new(const char *name_or_regex, char *err, size_t errlen);
struct wn_pretok *wn_pretok_new_flags(const char *name_or_regex, unsigned flags, char *err, size_t errlen);
void wn_pretok_free(struct wn_pretok *pt);
/* The regex text as tiktoken / HF spell it (before our \s rewriting). */
const char *wn_pretok_pattern(const struct wn_pretok *pt);
/* The built-in name ("cl100k", ...) or NULL for a custom regex. */
const char *wn_pretok_name(const struct wn_pretok *pt);
/* Resolve a built-in name to its regex text, or NULL. */
const char *wn_pretok_builtin(const char *name);

struct wn_pretok_state *wn_pretok_state_new(const struct wn_pretok *pt);
void wn_pretok_state_free(struct wn_pretok_state *s);

/* Called for each piece; a non-zero return stops the split (and is returned). */
typedef int (*wn_pretok_fn)(const char *piece, size_t n, void *arg);

/* Split valid UTF-8 text into pieces (which concatenate to the text unless
 * gaps are dropped), in order. Returns 0, the callback's non-zero value, or
 * -1 on error (invalid UTF-8, regex failure; err filled). */
int wn_pretok_split(struct wn_pretok_state *s, const char *text, size_t len, wn_pretok_fn fn, void *arg, char *err,
		    size_t errlen);

/* Same, but the text is known to be valid UTF-8 (no check). */
int wn_pretok_split_trusted(struct wn_pretok_state *s, const char *text, size_t len, wn_pretok_fn fn, void *arg,
			    char *err, size_t errlen);

#endif
