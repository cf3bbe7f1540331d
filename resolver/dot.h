/*
 * DNS over TLS to upstream servers (RFC 7858): per server (address, the
 * name its certificate must carry, the CAs), a few persistent TLS
 * connections on which queries are pipelined and answers matched by id,
 * in any order (RFC 7766).  What a reply or a failure means is the
 * owner's business: the module hands them to the functions given to
 * dot_init(), as usock.c does for UDP.
 */
#ifndef VPNDNSD_DOT_H
#define VPNDNSD_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vpndnsd.h"

#define DOT_CONNS	2	/* connections a server, at most */
#define DOT_SLOTS	512	/* queries in flight a connection, at most */
#define DOT_BUSY	64	/* in flight on each before another opens */
#define DOT_IDLE_MS	10000	/* an idle connection is closed after */
#define DOT_CA_MAX	(4 * 1024 * 1024)

struct dpool;
struct dconn;

/*
 * A reply for a query; or its failure: 'why' for people, and 'again'
 * when the connection closed under a query the server may still answer
 * on a new one (RFC 7766 6.2.4: a server may close an idle connection).
 */
typedef void	(*dot_reply_cb)(void *, uint8_t *, size_t);
typedef void	(*dot_error_cb)(void *, int, const char *, int);

struct dot_stats {
	uint64_t	connections;	/* opened */
	uint64_t	open;		/* now */
	uint64_t	tls_failures;	/* handshakes that failed */
	uint64_t	failures;	/* connections that failed otherwise */
	uint64_t	stray;		/* replies no query waits for */
	const char	*state;		/* "open", "connecting", ... */
	const char	*lasterr;	/* "" for none */
};

void		 dot_init(dot_reply_cb, dot_error_cb);
uint8_t		*dot_ca_read(int, size_t *);
struct dpool	*dot_pool(const union sockunion *, const char *,
		    const uint8_t *, size_t);
void		 dot_pool_put(struct dpool *);
int		 dot_query(struct dpool *, void *, const uint8_t *, size_t,
		    struct dconn **, uint16_t *);
void		 dot_cancel(struct dconn *, uint16_t);
void		 dot_stats(const struct dpool *, struct dot_stats *);

/* dotframe.c: the next length-prefixed message of a stream */
ssize_t		 dotframe_next(const uint8_t *, size_t);

#endif
