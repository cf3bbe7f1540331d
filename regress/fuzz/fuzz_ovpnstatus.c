/*
 * An OpenVPN status file as wgwatch reads it: the bytes the parent read,
 * in chunks cut where the first byte says, fed to the status parser;
 * a whole file's table then compared with the one before, the clients
 * that left kept as ended (wgdiff.h).
 */
#include <stdlib.h>
#include <string.h>

#include "wgwatch.h"
#include "wgdiff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct wgtable	 t;
	void			*st;
	size_t			 chunk, off, n;

	if (len < 1)
		return 0;
	chunk = data[0] + 1;
	if ((st = calloc(1, status_parser.size)) == NULL)
		abort();
	status_parser.reset(st);
	wgtable_clear(&t);
	for (off = 1; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (status_parser.feed(st, &t, data + off, n) == -1)
			abort();	/* it never spoils: it is incomplete */
	}
	if (status_parser.take(st, &t) == 1 && wgtable_finish(&t, 1) == 0)
		fuzz_diff(&t, 1);
	status_parser.release(st);
	free(st);
	return 0;
}
