/*
 * The tables of counters, made from their one list in vpndnsd.h, for
 * the code that walks them: the frontend's Prometheus text and
 * vpndnsctl show status, text and JSON.
 */
#include <stddef.h>

#include "vpndnsd.h"

const struct stat_field frontend_stat_fields[] = {
#define FS_ROW(f, line, word, name, type, labels, help) \
	{ #f, line, word, name, type, labels, help, \
	    offsetof(struct frontend_stats, f) },
	FRONTEND_STATS(FS_ROW)
#undef FS_ROW
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

const struct stat_field resolver_stat_fields[] = {
#define RS_ROW(f) \
	{ #f, NULL, NULL, NULL, NULL, NULL, NULL, \
	    offsetof(struct resolver_stats, f) },
	RESOLVER_STATS(RS_ROW)
#undef RS_ROW
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};
