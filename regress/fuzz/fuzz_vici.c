/*
 * strongSwan's VICI stream as wgwatch reads it: the bytes the parent
 * relays, cut into chunks where the first byte says, fed to the VICI
 * codec; after each chunk, as wgwatch does, the SAs taken into a table
 * and compared with the one before (wgdiff.h).  The stream starts after
 * list-sas' answer (an empty CMD_RESPONSE), so every event reaches the
 * table.
 */
#include <stdlib.h>
#include <string.h>

#include "wgwatch.h"
#include "wgdiff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t	 listed[] = { 0, 0, 0, 1, 1 };
	static struct wgtable	 t;
	void			*st;
	size_t			 chunk, off, n;
	int			 rc = 0;

	if (len < 1)
		return 0;
	chunk = data[0] + 1;
	if ((st = calloc(1, vici_parser.size)) == NULL)
		abort();
	vici_parser.reset(st);
	if (vici_parser.feed(st, &t, listed, sizeof(listed)) == -1)
		abort();
	for (off = 1; off < len && rc != -1; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (vici_parser.feed(st, &t, data + off, n) == -1)
			break;
		if ((rc = vici_parser.take(st, &t)) == 1 &&
		    wgtable_finish(&t, 1) == 0)
			fuzz_diff(&t, 1);
		wgtable_clear(&t);
	}
	vici_parser.release(st);
	free(st);
	return 0;
}
