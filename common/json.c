/*
 * A string as JSON wants it: in quotes, with quotes, backslashes and
 * control bytes escaped.  Bytes from 0x80 up pass as they are: the names
 * we print are ASCII, paths the operator's own.
 */
#include <stdio.h>

#include "json.h"

/* Into 'out'; returns its length, or -1 when it does not fit. */
int
json_quote(char *out, size_t len, const char *s)
{
	size_t	o = 0;
	int	n;

	if (len < 3)
		return -1;
	out[o++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			if (o + 2 >= len)
				return -1;
			out[o++] = '\\';
			out[o++] = *s;
		} else if ((unsigned char)*s < 0x20) {
			n = snprintf(out + o, len - o, "\\u%04x",
			    (unsigned char)*s);
			if (n < 0 || (size_t)n >= len - o)
				return -1;
			o += n;
		} else {
			if (o + 1 >= len)
				return -1;
			out[o++] = *s;
		}
	}
	if (o + 2 > len)
		return -1;
	out[o++] = '"';
	out[o] = '\0';
	return o;
}
