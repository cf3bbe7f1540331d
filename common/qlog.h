/*
 * The query log (log queries): one line per query, written by the process
 * that answered it, the frontend or the resolver.
 */
#ifndef VPNDNSD_QLOG_H
#define VPNDNSD_QLOG_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

/* What was done with a query, for its line. */
struct verdict {
	const char		*what;		/* "local", "blocked", ... */
	const char		*name;		/* a list or group, or NULL */
	const union sockunion	*server;	/* the upstream, or NULL */
};

/* Answered from local data: by the resolver, or from its copies */
extern const struct verdict	qlog_local;

uint64_t	qlog_now(void);
void		qlog_hold(void);
void		qlog_release(void);
void		qlog(const struct dnsq_ctx *, const uint8_t *, size_t, uint16_t,
		    const struct verdict *, int, unsigned int);

#endif
