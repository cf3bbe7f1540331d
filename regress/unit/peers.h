/* What the unit tests of the peer parsers ask of a table. */
#ifndef VPNDNSD_PEERS_H
#define VPNDNSD_PEERS_H

#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include "wgwatch.h"

/* The peer of that key, or NULL. */
static inline struct wgpeer *
peer(struct wgtable *t, const char *key)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->peers[i].key, key) == 0)
			return &t->peers[i];
	return NULL;
}

/* Whether it has that address (text, either family); NULL has none. */
static inline int
has_addr(const struct wgpeer *p, const char *text)
{
	struct in6_addr	a;
	int		af = strchr(text, ':') ? AF_INET6 : AF_INET;
	uint16_t	i;

	inet_pton(af, text, &a);
	for (i = 0; p != NULL && i < p->naddrs; i++)
		if (p->addrs[i].af == af && memcmp(&p->addrs[i].a, &a,
		    af == AF_INET ? 4 : 16) == 0)
			return 1;
	return 0;
}

#endif
