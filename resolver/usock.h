/*
 * Upstream UDP sockets: per server address, a pool of connected sockets
 * that live for a bounded number of queries and a second, each query
 * known by (socket, id); datagrams out with sendmmsg, in with recvmmsg.
 * What a reply or a socket's error means is the owner's business: the
 * module hands them to the functions given to usock_init().
 */
#ifndef VPNDNSD_USOCK_H
#define VPNDNSD_USOCK_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

#define USOCK_QUERIES	256	/* a socket's queries, then a new port */
#define USOCK_LIFE_MS	1000	/* and at most this long */

struct upool;
struct usock;

/* What became of a query: a datagram for it (len > 0), or an error. */
typedef void	(*usock_reply_cb)(void *, uint8_t *, size_t);
typedef void	(*usock_error_cb)(void *, int);

struct usock_stats {
	uint64_t	stray;		/* replies no query waits for */
	uint64_t	sockets;	/* opened */
	uint64_t	open;		/* now */
};

void		 usock_init(usock_reply_cb, usock_error_cb);
struct upool	*usock_pool(const union sockunion *);
int		 usock_query(struct upool *, void *, uint8_t *, size_t,
		    size_t, struct usock **, uint16_t *);
void		 usock_cancel(struct usock *, uint16_t);
void		 usock_stats(const struct upool *, struct usock_stats *);
uint16_t	 usock_random16(void);

#endif
