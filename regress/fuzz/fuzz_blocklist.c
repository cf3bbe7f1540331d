/*
 * resolver/blocklist.c: any bytes as list lines, into a table that is
 * then finished and freed.
 */
#include <stdlib.h>
#include <string.h>

#include "blocklist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct bltable	 t;
	char		 line[BL_LINE_MAX + 1];
	const char	*p = (const char *)data, *nl;
	size_t		 n, added;

	bltable_init(&t);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (n <= BL_LINE_MAX) {
			memcpy(line, p, n);
			line[n] = '\0';
			added = 0;
			bl_parse_line(&t, line, n, &added);
		}
		if (nl == NULL)
			break;
		len -= n + 1;
		p += n + 1;
	}
	bltable_finish(&t);
	bltable_free(&t);
	return 0;
}
