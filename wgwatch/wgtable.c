/*
 * The peer table of one interface, as one poll found it: an array kept
 * between polls (no allocation once it has grown), sorted by key so that
 * two polls compare in one merge walk.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wgwatch.h"

void
wgtable_clear(struct wgtable *t)
{
	t->n = 0;
}

void
wgtable_free(struct wgtable *t)
{
	free(t->peers);
	memset(t, 0, sizeof(*t));
}

/* A new peer, or NULL past WG_MAX_PEERS. */
struct wgpeer *
wgtable_add(struct wgtable *t, const uint8_t *key)
{
	struct wgpeer	*p;
	size_t		 ncap;

	if (t->n == WG_MAX_PEERS)
		return NULL;
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if (ncap > WG_MAX_PEERS)
			ncap = WG_MAX_PEERS;
		if ((p = reallocarray(t->peers, ncap, sizeof(*p))) == NULL)
			fatal("reallocarray");
		t->peers = p;
		t->cap = ncap;
	}
	p = &t->peers[t->n++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, WG_KEY_LEN);
	return p;
}

/*
 * Only host routes name a peer: /32 for IPv4, /128 for IPv6.  Wider
 * prefixes, and host routes past WG_MAX_ADDRS, are not kept.
 */
void
wgpeer_add_addr(struct wgpeer *p, int af, const void *addr,
    unsigned int plen)
{
	struct wg_addr	*a;

	if ((af == AF_INET && plen != 32) || (af == AF_INET6 && plen != 128) ||
	    p->naddrs == WG_MAX_ADDRS)
		return;
	a = &p->addrs[p->naddrs++];
	memset(a, 0, sizeof(*a));
	a->af = af;
	if (af == AF_INET)
		memcpy(&a->a.v4, addr, sizeof(a->a.v4));
	else
		memcpy(&a->a.v6, addr, sizeof(a->a.v6));
}

int
wgpeer_cmp(const void *a, const void *b)
{
	return memcmp(((const struct wgpeer *)a)->key,
	    ((const struct wgpeer *)b)->key, WG_KEY_LEN);
}

static int
addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct wg_addr));
}

/* Sort; a key seen twice makes the whole reply suspect: -1. */
int
wgtable_finish(struct wgtable *t)
{
	size_t	i;

	/* no peers yet: no array, and qsort(3) must not be given NULL */
	if (t->n == 0)
		return 0;
	for (i = 0; i < t->n; i++)
		qsort(t->peers[i].addrs, t->peers[i].naddrs,
		    sizeof(struct wg_addr), addr_cmp);
	qsort(t->peers, t->n, sizeof(*t->peers), wgpeer_cmp);
	for (i = 1; i < t->n; i++)
		if (wgpeer_cmp(&t->peers[i - 1], &t->peers[i]) == 0)
			return -1;
	return 0;
}

/* The same to the resolver: handshake and addresses. */
int
wgpeer_equal(const struct wgpeer *a, const struct wgpeer *b)
{
	return a->handshake == b->handshake && a->naddrs == b->naddrs &&
	    memcmp(a->addrs, b->addrs, a->naddrs * sizeof(a->addrs[0])) == 0;
}
