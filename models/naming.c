#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/strutil.h"
#include "models/naming.h"

/* The pluralizer works on code points, as upstream's regular expressions do, so that a
 * character class such as [^aeiou] consumes one whole non-ASCII character. Only whole code
 * points are ever cut off the end, so the output keeps the input's bytes (invalid UTF-8
 * included: each stray byte counts as one code point). */
struct word {
	uint32_t *cp;
	size_t *off; /* byte offset of each code point; off[n] is the byte length */
	size_t n;
};

static void word_release(struct word *w)
{
	mem_free(w->cp);
	mem_free(w->off);
	w->cp = NULL;
	w->off = NULL;
}

/* Decode one UTF-8 sequence at s; a malformed one yields its first byte. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
	unsigned need;
	uint32_t c;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		need = 1;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 2;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 3;
		c = s[0] & 0x07;
	} else {
		*len = 1;
		return s[0];
	}
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*len = need + 1;
	return c;
}

static int word_decode(const char *s, struct word *ret)
{
	size_t bytes = strlen(s), n = 0, len;
	_cleanup_free_ uint32_t *cp = new0(uint32_t, bytes + 1);
	_cleanup_free_ size_t *off = new0(size_t, bytes + 1);

	if (!cp || !off)
		return -ENOMEM;
	for (size_t i = 0; i < bytes; i += len) {
		off[n] = i;
		cp[n++] = utf8_next((const unsigned char *)s + i, &len);
	}
	off[n] = bytes;
	ret->cp = TAKE_PTR(cp);
	ret->off = TAKE_PTR(off);
	ret->n = n;
	return 0;
}

/* A tail pattern is a sequence of items, each a literal character or a bracket class
 * "[abc]" / "[^abc]" (UTF-8 allowed); it matches when it ends exactly at w[0..n). */
static bool item_matches(const char **p, uint32_t c)
{
	const char *s = *p;
	size_t len;

	if (*s != '[') {
		uint32_t lit = utf8_next((const unsigned char *)s, &len);
		*p = s + len;
		return lit == c;
	}
	s++;
	bool negate = *s == '^', found = false;
	if (negate)
		s++;
	while (*s != ']') {
		if (utf8_next((const unsigned char *)s, &len) == c)
			found = true;
		s += len;
	}
	*p = s + 1;
	return found != negate;
}

static size_t pattern_items(const char *p)
{
	size_t k = 0, len;

	while (*p) {
		if (*p == '[') {
			p = strchr(p, ']') + 1;
		} else {
			(void)utf8_next((const unsigned char *)p, &len);
			p += len;
		}
		k++;
	}
	return k;
}

static bool tail_matches(const struct word *w, size_t n, const char *pattern)
{
	size_t k = pattern_items(pattern);

	if (k > n)
		return false;
	for (size_t i = n - k; i < n; i++)
		if (!item_matches(&pattern, w->cp[i]))
			return false;
	return true;
}

static bool all_lower_ascii(const struct word *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w->cp[i] < 'a' || w->cp[i] > 'z')
			return false;
	return true;
}

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

/* The uncountable patterns are all ^[a-z]*<tail>$. */
static const char *const uncountable_tails[] = {
	"pok[eé]mon", "[^aeiou]ese", "deer", "fish", "measles", "o[iu]s", "pox", "sheep",
};

static bool is_uncountable(const char *s, const struct word *w)
{
	for (size_t i = 0; i < ELEMENTSOF(uncountable_words); i++)
		if (streq(s, uncountable_words[i]))
			return true;
	for (size_t i = 0; i < ELEMENTSOF(uncountable_tails); i++) {
		size_t k = pattern_items(uncountable_tails[i]);
		if (tail_matches(w, w->n, uncountable_tails[i]) && all_lower_ascii(w, w->n - k))
			return true;
	}
	return false;
}

/* Upstream's irregular singular/plural pairs, shared with pull's singularisation. */
const char *const naming_irregulars[][2] = {
	{ "i", "we" },
	{ "me", "us" },
	{ "he", "they" },
	{ "she", "they" },
	{ "them", "them" },
	{ "myself", "ourselves" },
	{ "yourself", "yourselves" },
	{ "itself", "themselves" },
	{ "herself", "themselves" },
	{ "himself", "themselves" },
	{ "themself", "themselves" },
	{ "is", "are" },
	{ "was", "were" },
	{ "has", "have" },
	{ "this", "these" },
	{ "that", "those" },
	{ "my", "our" },
	{ "its", "their" },
	{ "his", "their" },
	{ "her", "their" },
	{ "echo", "echoes" },
	{ "dingo", "dingoes" },
	{ "volcano", "volcanoes" },
	{ "tornado", "tornadoes" },
	{ "torpedo", "torpedoes" },
	{ "genus", "genera" },
	{ "viscus", "viscera" },
	{ "stigma", "stigmata" },
	{ "stoma", "stomata" },
	{ "dogma", "dogmata" },
	{ "lemma", "lemmata" },
	{ "schema", "schemata" },
	{ "anathema", "anathemata" },
	{ "ox", "oxen" },
	{ "axe", "axes" },
	{ "die", "dice" },
	{ "yes", "yeses" },
	{ "foot", "feet" },
	{ "eave", "eaves" },
	{ "goose", "geese" },
	{ "tooth", "teeth" },
	{ "quiz", "quizzes" },
	{ "human", "humans" },
	{ "proof", "proofs" },
	{ "carve", "carves" },
	{ "valve", "valves" },
	{ "looey", "looies" },
	{ "thief", "thieves" },
	{ "groove", "grooves" },
	{ "pickaxe", "pickaxes" },
	{ "passerby", "passersby" },
	{ "canvas", "canvases" },
	{ "mango", "mangoes" },
};
const size_t naming_n_irregulars = ELEMENTSOF(naming_irregulars);

/* Every suffix rule of upstream has the shape (<stem>)(?:<drop>)$ -> $1<append>: a kept group
 * of alternatives, then a dropped group of alternatives. At most one drop alternative can end
 * a given word in each rule, so the leftmost match Java would pick always cuts the same text
 * and the choice among stems never changes the result. A NULL-terminated list; "" is the
 * empty alternative. */
struct plural_rule {
	const char *const *stems;
	const char *const *drops;
	const char *append;
};

#define ALTS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct plural_rule plural_rules[] = {
	/* rule 1 (last character non-ASCII) is checked before this table */
	{ ALTS("[^aeiou]ese"), ALTS(""), "" },
	{ ALTS("ax", "test"), ALTS("is"), "es" },
	{ ALTS("alias", "[^aou]us", "t[lm]as", "gas", "ris"), ALTS(""), "es" },
	{ ALTS("e[mn]u"), ALTS("s", ""), "s" },
	{ ALTS("[^l]ias", "[aeiou]las", "[ejzr]as", "[iu]am"), ALTS(""), "" },
	{ ALTS("alumn", "syllab", "vir", "radi", "nucle", "fung", "cact", "stimul", "termin",
	       "bacill", "foc", "uter", "loc", "strat"),
	  ALTS("us", "i"), "i" },
	{ ALTS("alumn", "alg", "vertebr"), ALTS("a", "ae"), "ae" },
	{ ALTS("seraph", "cherub"), ALTS("im", ""), "im" },
	{ ALTS("her", "at", "gr"), ALTS("o"), "oes" },
	{ ALTS("agend", "addend", "millenni", "dat", "extrem", "bacteri", "desiderat", "strat",
	       "candelabr", "errat", "ov", "symposi", "curricul", "automat", "quor"),
	  ALTS("a", "um"), "a" },
	{ ALTS("apheli", "hyperbat", "periheli", "asyndet", "noumen", "phenomen", "criteri",
	       "organ", "prolegomen", "hedr", "automat"),
	  ALTS("a", "on"), "a" },
	{ ALTS(""), ALTS("sis"), "ses" },
	/* (?:(kni|wi|li)fe|(ar|l|ea|eo|oa|hoo)f)$ -> $1$2ves, as two halves that can never
	 * both match (one ends in "fe", the other in "f" after a non-"e") */
	{ ALTS("kni", "wi", "li"), ALTS("fe"), "ves" },
	{ ALTS("ar", "l", "ea", "eo", "oa", "hoo"), ALTS("f"), "ves" },
	{ ALTS("[^aeiouy]", "qu"), ALTS("y"), "ies" },
	{ ALTS("[^ch][ieo][ln]"), ALTS("ey"), "ies" },
	{ ALTS("x", "ch", "ss", "sh", "zz"), ALTS(""), "es" },
	{ ALTS("matr", "cod", "mur", "sil", "vert", "ind", "append"), ALTS("ix", "ex"), "ices" },
	/* Rule 19, \b((?:tit)?m|l)(?:ice|ouse)$, is absent on purpose: upstream wrote \b in a
	 * Java string literal, where it is a backspace character that no word contains, so the
	 * rule never matches and "mouse" pluralizes to "mouses". */
	{ ALTS("pe"), ALTS("rson", "ople"), "ople" },
	{ ALTS("child"), ALTS("ren", ""), "ren" },
	{ ALTS("eaux"), ALTS(""), "" },
	{ ALTS(""), ALTS("m[ae]n"), "men" },
	/* rule 24 (thou, unanchored) sits between these two; see below */
	{ ALTS(""), ALTS("s", ""), "s" },
};

#define RULE_THOU_BEFORE (ELEMENTSOF(plural_rules) - 1)

/* How many code points rule r cuts off the end of w; -1 when it does not match. */
static ssize_t rule_cut(const struct plural_rule *r, const struct word *w)
{
	for (const char *const *d = r->drops; *d; d++) {
		if (!tail_matches(w, w->n, *d))
			continue;
		size_t cut = pattern_items(*d);
		for (const char *const *s = r->stems; *s; s++)
			if (tail_matches(w, w->n - cut, *s))
				return (ssize_t)cut;
	}
	return -1;
}

int naming_pluralize(const char *word, struct buf *out)
{
	_cleanup_(word_release) struct word w = { 0 };
	int r;

	r = word_decode(word, &w);
	if (r < 0)
		return r;

	if (is_uncountable(word, &w))
		return buf_adds(out, word);
	for (size_t i = 0; i < naming_n_irregulars; i++) {
		if (streq(word, naming_irregulars[i][1]))
			return buf_adds(out, word);
		if (streq(word, naming_irregulars[i][0]))
			return buf_adds(out, naming_irregulars[i][1]);
	}

	if (w.n > 0 && w.cp[w.n - 1] > 0x7f)
		return buf_adds(out, word);
	for (size_t i = 0; i < ELEMENTSOF(plural_rules); i++) {
		if (i == RULE_THOU_BEFORE) {
			/* the only unanchored rule: the first "thou" anywhere becomes "you" */
			const char *thou = strstr(word, "thou");
			if (thou) {
				r = buf_add(out, word, (size_t)(thou - word));
				if (r < 0)
					return r;
				r = buf_adds(out, "you");
				if (r < 0)
					return r;
				return buf_adds(out, thou + 4);
			}
		}
		ssize_t cut = rule_cut(&plural_rules[i], &w);
		if (cut < 0)
			continue;
		r = buf_add(out, word, w.off[w.n - (size_t)cut]);
		if (r < 0)
			return r;
		return buf_adds(out, plural_rules[i].append);
	}
	/* unreachable: the last rule matches every word */
	return buf_adds(out, word);
}

int naming_resource_name(const char *entity_name, struct buf *out)
{
	_cleanup_free_ char *lower = mem_strdup(entity_name);

	if (!lower)
		return -ENOMEM;
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return naming_pluralize(lower, out);
}

int naming_const_name(const char *entity_name, struct buf *out)
{
	const char *s = entity_name[0] == '\'' ? entity_name + 1 : entity_name;
	bool first = true;
	int r;

	for (; *s; s++) {
		bool upper = *s >= 'A' && *s <= 'Z';
		/* a boundary before every capital; the piece before the first one may be empty
		 * and is then dropped, so no leading '_' */
		if (upper && !first) {
			r = buf_addc(out, '_');
			if (r < 0)
				return r;
		}
		first = false;
		r = buf_addc(out, (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s));
		if (r < 0)
			return r;
	}
	return 0;
}
