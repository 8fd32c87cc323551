/* Names of a pulled model (introspection.md §6): splitting a database name into words, the
 * singularizer of upstream's inflector, and the case converters. Pluralize is the generator's
 * (models/naming.c): both sides of upstream use one inflector. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/macro.h"
#include "base/strutil.h"
#include "models/introspect.h"
#include "models/naming.h"

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Letters (any non-ASCII byte counts as part of a letter) and ASCII digits make words. */
static bool is_word_char(unsigned char c)
{
	return is_upper(c) || is_lower(c) || is_digit(c) || c >= 0x80;
}

static char lower(char c)
{
	return is_upper((unsigned char)c) ? (char)(c - 'A' + 'a') : c;
}

static char upper(char c)
{
	return is_lower((unsigned char)c) ? (char)(c - 'a' + 'A') : c;
}

typedef int word_fn(const char *w, size_t len, size_t index, void *userdata);

/* Call fn for each lower-cased word of name, in order. A split goes between a lower-case
 * letter or digit and a following capital, and at every run of other characters. */
static int each_word(const char *name, word_fn *fn, void *userdata)
{
	char w[256];
	size_t len = 0, index = 0;
	int r;

	for (const char *p = name;; p++) {
		unsigned char c = (unsigned char)*p;
		bool boundary =
			!c || !is_word_char(c) ||
			(len > 0 && is_upper(c) &&
			 (is_lower((unsigned char)p[-1]) || is_digit((unsigned char)p[-1])));
		if (boundary && len > 0) {
			r = fn(w, len, index++, userdata);
			if (r < 0)
				return r;
			len = 0;
		}
		if (!c)
			break;
		if (!is_word_char(c))
			continue;
		if (len + 1 >= sizeof(w))
			return -ENAMETOOLONG;
		w[len++] = lower((char)c);
		w[len] = '\0';
	}
	return (int)index;
}

/* ---- singularize ---------------------------------------------------------------------------- */

/* Tail patterns: literal bytes, [abc] / [^abc] classes, \w inside a class for [A-Za-z0-9_],
 * and a leading ^ that anchors the stem at the start of the word. */
static bool class_has(const char *cls, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++) {
		if (cls[i] == '\\' && i + 1 < n && cls[i + 1] == 'w') {
			if (is_upper(c) || is_lower(c) || is_digit(c) || c == '_')
				return true;
			i++;
			continue;
		}
		if ((unsigned char)cls[i] == c)
			return true;
	}
	return false;
}

/* Whether pattern matches w[..end) ending exactly at end; *ret_start gets where it starts. */
static bool tail_match(const char *w, size_t end, const char *pattern, size_t *ret_start)
{
	const char *items[32];
	size_t n = 0, pos = end;
	bool anchored = pattern[0] == '^';

	for (const char *p = anchored ? pattern + 1 : pattern; *p && n < ELEMENTSOF(items);) {
		items[n++] = p;
		p = *p == '[' ? strchr(p, ']') + 1 : p + 1;
	}
	for (size_t i = n; i > 0; i--) {
		const char *it = items[i - 1];
		if (pos == 0)
			return false;
		unsigned char c = (unsigned char)w[pos - 1];
		if (*it == '[') {
			const char *close = strchr(it, ']');
			bool neg = it[1] == '^';
			const char *cls = it + (neg ? 2 : 1);
			if (class_has(cls, (size_t)(close - cls), c) == neg)
				return false;
		} else if ((unsigned char)*it != c) {
			return false;
		}
		pos--;
	}
	if (anchored && pos != 0)
		return false;
	*ret_start = pos;
	return true;
}

struct suffix_rule {
	const char *const *stems;
	const char *const *drops;
	const char *append;
};

#define ALTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct suffix_rule singular_rules[] = {
	{ ALTS("ss"), ALTS(""), "" },
	{ ALTS("wi", "kni", "afterli", "halfli", "highli", "lowli", "midli", "nonli", "nightli",
	       "[^\\w]li", "^li"),
	  ALTS("ves"), "fe" },
	{ ALTS("ar", "wol", "[ae]l", "[eo][ao]"), ALTS("ves"), "f" },
	{ ALTS(""), ALTS("ies"), "y" },
	/* (dg|ss|...)ies$ -> $1ie can never win after the rule above; the three rules upstream
	 * wrote with a Java-string \b (a backspace) never match any word and are left out. */
	{ ALTS("seraph", "cherub"), ALTS("im"), "" },
	{ ALTS("x", "ch", "ss", "sh", "zz", "tto", "go", "cho", "alias", "[^aou]us", "t[lm]as",
	       "gas", "hero", "ato", "gro", "[aeiou]ris"),
	  ALTS("es", ""), "" },
	{ ALTS("analy", "diagno", "parenthe", "progno", "synop", "the", "empha", "cri", "ne"),
	  ALTS("sis", "ses"), "sis" },
	{ ALTS("movie", "twelve", "abuse", "e[mn]u"), ALTS("s"), "" },
	{ ALTS("test"), ALTS("is", "es"), "is" },
	{ ALTS("alumn", "syllab", "vir", "radi", "nucle", "fung", "cact", "stimul", "termin",
	       "bacill", "foc", "uter", "loc", "strat"),
	  ALTS("us", "i"), "us" },
	{ ALTS("agend", "addend", "millenni", "dat", "extrem", "bacteri", "desiderat", "strat",
	       "candelabr", "errat", "ov", "symposi", "curricul", "quor"),
	  ALTS("a"), "um" },
	{ ALTS("apheli", "hyperbat", "periheli", "asyndet", "noumen", "phenomen", "criteri",
	       "organ", "prolegomen", "hedr", "automat"),
	  ALTS("a"), "on" },
	{ ALTS("alumn", "alg", "vertebr"), ALTS("ae"), "a" },
	{ ALTS("cod", "mur", "sil", "vert", "ind"), ALTS("ices"), "ex" },
	{ ALTS("matr", "append"), ALTS("ices"), "ix" },
	{ ALTS("pe"), ALTS("rson", "ople"), "rson" },
	{ ALTS("child"), ALTS("ren"), "" },
	{ ALTS("eau"), ALTS("x", ""), "" },
	{ ALTS(""), ALTS("men"), "man" },
	{ ALTS(""), ALTS("s"), "" },
};

static const char *const uncountable_words[] = {
	"adulthood",	  "advice",    "agenda",    "aid",	  "aircraft",	  "alcohol",
	"ammo",		  "analytics", "anime",	    "athletics",  "audio",	  "bison",
	"blood",	  "bream",     "buffalo",   "butter",	  "carp",	  "cash",
	"chassis",	  "chess",     "clothing",  "cod",	  "commerce",	  "cooperation",
	"corps",	  "debris",    "diabetes",  "digestion",  "elk",	  "energy",
	"equipment",	  "excretion", "expertise", "firmware",	  "flounder",	  "fun",
	"gallows",	  "garbage",   "graffiti",  "hardware",	  "headquarters", "health",
	"herpes",	  "highjinks", "homework",  "housework",  "information",  "jeans",
	"justice",	  "kudos",     "labour",    "literature", "machinery",	  "mackerel",
	"mail",		  "media",     "mews",	    "moose",	  "music",	  "mud",
	"manga",	  "news",      "only",	    "personnel",  "pike",	  "plankton",
	"pliers",	  "police",    "pollution", "premises",	  "rain",	  "research",
	"rice",		  "salmon",    "scissors",  "series",	  "sewage",	  "shambles",
	"shrimp",	  "software",  "staff",	    "swine",	  "tennis",	  "traffic",
	"transportation", "trout",     "tuna",	    "wealth",	  "welfare",	  "whiting",
	"wildebeest",	  "wildlife",  "you",	    "species",
};

/* ^[a-z]*<tail>$ */
static const char *const uncountable_tails[] = {
	"[^aeiou]ese", "deer", "fish", "measles", "o[iu]s", "pox", "sheep",
};

static bool is_uncountable(const char *w, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(uncountable_words); i++)
		if (strlen(uncountable_words[i]) == len &&
		    memcmp(w, uncountable_words[i], len) == 0)
			return true;
	/* pokémon: é is two bytes in UTF-8 */
	if (len >= 8 && memcmp(w + len - 8, "pok\xc3\xa9mon", 8) == 0) {
		for (size_t k = 0; k < len - 8; k++)
			if (!is_lower((unsigned char)w[k]))
				return false;
		return true;
	}
	for (size_t i = 0; i < ELEMENTSOF(uncountable_tails); i++) {
		size_t start;
		if (!tail_match(w, len, uncountable_tails[i], &start))
			continue;
		bool lower_prefix = true;
		for (size_t k = 0; k < start; k++)
			if (!is_lower((unsigned char)w[k]))
				lower_prefix = false;
		if (lower_prefix)
			return true;
	}
	/* pokemon with a plain e */
	if (len >= 7 && memcmp(w + len - 7, "pokemon", 7) == 0) {
		for (size_t k = 0; k < len - 7; k++)
			if (!is_lower((unsigned char)w[k]))
				return false;
		return true;
	}
	return false;
}

static int singularize_n(const char *w, size_t len, struct buf *out)
{
	if (is_uncountable(w, len))
		return buf_add(out, w, len);
	if (len == 4 && memcmp(w, "have", 4) == 0)
		return buf_add(out, w, len);
	for (size_t i = 0; i < naming_n_irregulars; i++) {
		if (strlen(naming_irregulars[i][0]) == len &&
		    memcmp(w, naming_irregulars[i][0], len) == 0)
			return buf_add(out, w, len);
		if (strlen(naming_irregulars[i][1]) == len &&
		    memcmp(w, naming_irregulars[i][1], len) == 0)
			return buf_adds(out, naming_irregulars[i][0]);
	}
	for (size_t i = 0; i < ELEMENTSOF(singular_rules); i++) {
		const struct suffix_rule *rule = &singular_rules[i];
		for (const char *const *d = rule->drops; *d; d++) {
			size_t dstart, sstart;
			if (!tail_match(w, len, *d, &dstart))
				continue;
			for (const char *const *s = rule->stems; *s; s++) {
				if (!tail_match(w, dstart, *s, &sstart))
					continue;
				int r = buf_add(out, w, dstart);
				if (r < 0)
					return r;
				return buf_adds(out, rule->append);
			}
		}
	}
	return buf_add(out, w, len);
}

int introspect_singularize(const char *word, struct buf *out)
{
	return singularize_n(word, strlen(word), out);
}

/* ---- case converters ------------------------------------------------------------------------ */

struct case_ctx {
	struct buf *out;
	bool singular;
	bool camel;
	bool snake;
};

static int add_word(const char *w, size_t len, size_t index, void *userdata)
{
	struct case_ctx *ctx = userdata;
	_cleanup_buf_ struct buf s = BUF_INIT(4096);
	size_t start = ctx->out->len;
	int r;

	if (ctx->snake) {
		if (index > 0) {
			r = buf_addc(ctx->out, '_');
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < len; i++) {
			r = buf_addc(ctx->out, upper(w[i]));
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (ctx->singular) {
		r = singularize_n(w, len, &s);
		if (r < 0)
			return r;
		w = s.buf;
		len = s.len;
	}
	if (len == 0)
		return 0;
	r = buf_add(ctx->out, w, len);
	if (r < 0)
		return r;
	if (!(ctx->camel && index == 0))
		ctx->out->buf[start] = upper(ctx->out->buf[start]);
	return 0;
}

int introspect_pascal_case(const char *name, bool singular, struct buf *out)
{
	struct case_ctx ctx = { .out = out, .singular = singular };
	int r = each_word(name, add_word, &ctx);
	return r < 0 ? r : 0;
}

int introspect_camel_case(const char *name, struct buf *out)
{
	struct case_ctx ctx = { .out = out, .camel = true };
	size_t start = out->len;
	int r = each_word(name, add_word, &ctx);

	if (r < 0)
		return r;
	/* PascalCase, then the first character lower-cased */
	if (out->len > start)
		out->buf[start] = lower(out->buf[start]);
	return 0;
}

int introspect_upper_snake_case(const char *name, struct buf *out)
{
	struct case_ctx ctx = { .out = out, .snake = true };
	int r = each_word(name, add_word, &ctx);
	return r < 0 ? r : 0;
}
