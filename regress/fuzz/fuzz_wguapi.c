/*
 * A UAPI reply from a userspace WireGuard, as the parent and wgwatch see
 * it: each line blanked by the parent (which must keep its length and
 * leave no secret byte), then the whole fed to wgwatch's parser in
 * chunks cut where the first byte says, then the table finished and
 * compared with the one before (wgdiff.h).
 */
#include <stdlib.h>
#include <string.h>

#include "parent.h"
#include "wgwatch.h"
#include "wgdiff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
blank_lines(char *buf, size_t len)
{
	static const char	*secrets[] = { "private_key=", "preshared_key=" };
	char			*p = buf, *nl, *end = buf + len;
	size_t			 n, i, k, klen;

	while (p < end) {
		nl = memchr(p, '\n', end - p);
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		wg_blank_uapi_line(p, n);
		for (k = 0; k < 2; k++) {
			klen = strlen(secrets[k]);
			if (n < klen || memcmp(p, secrets[k], klen) != 0)
				continue;
			for (i = klen; i < n; i++)
				if (p[i] != '0')
					abort();
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct wgtable	 t;
	struct wguapi		 u;
	char			*buf;
	size_t			 chunk, off, n;

	if (len < 1)
		return 0;
	chunk = data[0] + 1;
	if ((buf = malloc(len - 1 + 1)) == NULL)
		abort();
	memcpy(buf, data + 1, len - 1);
	blank_lines(buf, len - 1);
	wgtable_clear(&t);
	wguapi_reset(&u);
	for (off = 0; off < len - 1; off += n) {
		n = len - 1 - off < chunk ? len - 1 - off : chunk;
		if (wguapi_feed(&u, &t, (uint8_t *)buf + off, n) == -1)
			break;
	}
	if (off >= len - 1 && u.done && wgtable_finish(&t, 0) == 0)
		fuzz_diff(&t, 0);
	free(buf);
	return 0;
}
