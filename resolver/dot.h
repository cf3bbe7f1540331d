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

struct dpool;
struct dconn;

/*
 * A reply for a query; or its failure: 'why' for people, and 'again'
 * when the connection closed or broke under a query the server may still
 * answer on a new one (RFC 7766 6.2.4: a server may close an idle
 * connection, and not always with a close_notify).
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

/* dotframe.c: the length-prefixed messages of a stream */
enum dotframe {
	DOTFRAME_MORE,		/* all taken; the rest waits for more */
	DOTFRAME_STOPPED,	/* by the callback */
	DOTFRAME_BROKEN		/* a length no DNS message has */
};
enum dotframe	 dotframe_take(uint8_t *, size_t *,
		    int (*)(void *, uint8_t *, size_t), void *);

#endif
