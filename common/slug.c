/*
 * The rule that turns a display name into a DNS label (vpndnsd.conf(5),
 * "Peer names"):
 *
 *	ASCII letters and digits are kept, in lower case;
 *	Latin letters with accents and ligatures are folded to their
 *	    ASCII letters (é e, ß ss, Æ ae, Ł l), U+00C0 to U+017F;
 *	apostrophes (' and U+2019) are dropped: "Bob's" is "bobs";
 *	everything else is a '-', runs of them one, none at either end;
 *	the result is cut to 63 octets (and a '-' it ends on trimmed).
 *
 * A name that is not UTF-8, or leaves no letter or digit, is an error.
 */
#include <string.h>

#include "slug.h"
#include "utf8.h"

/*
 * U+00C0 to U+017F: the ASCII letter each folds to; '-' for none (the
 * signs of multiplication and division), '*' for the few that fold to
 * two letters (fold2).
 */
static const char fold1[] =
    "aaaaaa*ceeeeiiiidnooooo-ouuuuy**aaaaaa*ceeeeiiiidnooooo-ouuuuy*y"
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkklllllll"
    "lllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

static const struct {
	unsigned int	 cp;
	const char	*ascii;
} fold2[] = {
	{ 0xc6, "ae" }, { 0xde, "th" }, { 0xdf, "ss" }, { 0xe6, "ae" },
	{ 0xfe, "th" }, { 0x132, "ij" }, { 0x133, "ij" }, { 0x152, "oe" },
	{ 0x153, "oe" },
};

/* What code point 'cp' adds to a label: letters, "" to drop, "-". */
static const char *
fold(unsigned int cp, char one[2])
{
	size_t	i;

	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
		one[0] = cp;
		return one;
	}
	if (cp >= 'A' && cp <= 'Z') {
		one[0] = cp - 'A' + 'a';
		return one;
	}
	if (cp == '\'' || cp == 0x2019)
		return "";
	if (cp < 0xc0 || cp > 0x17f)
		return "-";
	if ((one[0] = fold1[cp - 0xc0]) != '*')
		return one;
	for (i = 0; i < sizeof(fold2) / sizeof(fold2[0]); i++)
		if (fold2[i].cp == cp)
			return fold2[i].ascii;
	return "-";
}

/*
 * 'name' as a label into 'label' (at least SLUG_LABEL_MAX + 1 bytes).
 * Returns its length, or -1 with '*why' saying what is wrong.
 */
int
slug_label(const char *name, char *label, size_t size, const char **why)
{
	const unsigned char	*s = (const unsigned char *)name;
	const char		*add;
	char			 one[2] = { 0, 0 };
	unsigned int		 cp;
	size_t			 n, len = 0;

	if (size < SLUG_LABEL_MAX + 1) {
		*why = "no room for a label";
		return -1;
	}
	while (*s != '\0') {
		if ((n = utf8_next(s, &cp)) == 0) {
			*why = "not UTF-8";
			return -1;
		}
		s += n;
		for (add = fold(cp, one); *add != '\0'; add++) {
			if (*add == '-' && (len == 0 || label[len - 1] == '-'))
				continue;
			if (len == SLUG_LABEL_MAX)
				break;
			label[len++] = *add;
		}
	}
	while (len > 0 && label[len - 1] == '-')
		len--;
	label[len] = '\0';
	if (len == 0) {
		*why = "no letter or digit to make a DNS label of";
		return -1;
	}
	return len;
}
