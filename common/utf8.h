/* UTF-8, as names and JSON take it: one code point at a time, strictly. */
#ifndef VPNDNSD_UTF8_H
#define VPNDNSD_UTF8_H

#include <stddef.h>

/*
 * The code point at 's' and its length in bytes, or 0 for what is not
 * UTF-8: a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, or a sequence cut by the string's end.
 */
static inline size_t
utf8_next(const unsigned char *s, unsigned int *cp)
{
	size_t	n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return 0;
	return n;
}

#endif
