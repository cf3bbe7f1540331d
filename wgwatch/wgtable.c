/*
 * The peer table of one source, as one reading found it, whatever the
 * source: an array kept between readings (no allocation once it has
 * grown), sorted by key so that two readings compare in one merge walk;
 * and the rule for what of it the resolver must hear.
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

/*
 * A new peer of key 'key' ('len' bytes, no NUL), or NULL past
 * SRC_MAX_PEERS or for a key that is empty or too long.
 */
struct wgpeer *
wgtable_add(struct wgtable *t, const char *key, size_t len)
{
	struct wgpeer	*p;
	size_t		 ncap;

	if (t->n == SRC_MAX_PEERS || len == 0 || len >= PEER_KEY_MAX)
		return NULL;
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if (ncap > SRC_MAX_PEERS)
			ncap = SRC_MAX_PEERS;
		if ((p = reallocarray(t->peers, ncap, sizeof(*p))) == NULL)
			fatal("reallocarray");
		t->peers = p;
		t->cap = ncap;
	}
	p = &t->peers[t->n++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, len);
	return p;
}

/*
 * Only host routes name a peer: /32 for IPv4, /128 for IPv6.  Wider
 * prefixes, host routes past PEER_MAX_ADDRS and one already there are
 * not kept.
 */
void
wgpeer_add_addr(struct wgpeer *p, int af, const void *addr,
    unsigned int plen)
{
	struct peer_addr	*a, n;
	uint16_t		 i;

	if ((af == AF_INET && plen != 32) || (af == AF_INET6 && plen != 128) ||
	    p->naddrs == PEER_MAX_ADDRS)
		return;
	memset(&n, 0, sizeof(n));
	n.af = af;
	memcpy(&n.a, addr, af == AF_INET ? 4 : 16);
	for (i = 0; i < p->naddrs; i++)
		if (memcmp(&p->addrs[i], &n, sizeof(n)) == 0)
			return;
	a = &p->addrs[p->naddrs++];
	*a = n;
}

int
wgpeer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wgpeer *)a)->key,
	    ((const struct wgpeer *)b)->key);
}

static int
addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct peer_addr));
}

/* One session of a key more: 'b' joins 'a'. */
static void
wgpeer_merge(struct wgpeer *a, const struct wgpeer *b)
{
	uint16_t	i;

	for (i = 0; i < b->naddrs; i++)
		wgpeer_add_addr(a, b->addrs[i].af, &b->addrs[i].a,
		    b->addrs[i].af == AF_INET ? 32 : 128);
	if (b->connected && (!a->connected || b->handshake < a->handshake))
		a->handshake = b->handshake;
	a->connected |= b->connected;
}

/*
 * Sort.  A key seen twice makes a WireGuard reply suspect (-1); with
 * 'merge' (a client connected twice, as OpenVPN's duplicate-cn or two
 * IKE SAs of one identity allow) its entries become one.
 */
int
wgtable_finish(struct wgtable *t, int merge)
{
	size_t	i, o;

	/* no peers yet: no array, and qsort(3) must not be given NULL */
	if (t->n == 0)
		return 0;
	qsort(t->peers, t->n, sizeof(*t->peers), wgpeer_cmp);
	for (i = 1, o = 0; i < t->n; i++) {
		if (wgpeer_cmp(&t->peers[o], &t->peers[i]) != 0) {
			if (++o != i)
				t->peers[o] = t->peers[i];
			continue;
		}
		if (!merge)
			return -1;
		wgpeer_merge(&t->peers[o], &t->peers[i]);
	}
	t->n = o + 1;
	for (i = 0; i < t->n; i++)
		qsort(t->peers[i].addrs, t->peers[i].naddrs,
		    sizeof(struct peer_addr), addr_cmp);
	return 0;
}

/*
 * A session source lists who is connected now; who was and is not any
 * more stays in the table, disconnected, with its last addresses (its
 * offline name answers them) and the time it was last seen as its
 * activity.  A peer connected at the last reading must be missing from
 * 'grace' + 1 readings in a row to end: one reading of a status file
 * caught mid-rewrite must not take a name away.  'next' was finished
 * and is again.  Returns -1 if it could not hold them all (those that
 * do not fit past SRC_MAX_PEERS are forgotten).
 */
int
wgtable_keep_ended(struct wgtable *cur, struct wgtable *next, int64_t now,
    int grace)
{
	struct wgpeer	*a, *b;
	size_t		 i, j = 0, n = next->n;
	int		 c, full = 0;

	for (i = 0; i < cur->n; i++) {
		a = &cur->peers[i];
		c = 1;
		while (j < n && (c = wgpeer_cmp(&next->peers[j], a)) < 0)
			j++;
		if (c == 0)
			continue;
		if ((b = wgtable_add(next, a->key, strlen(a->key))) == NULL) {
			full = 1;
			continue;
		}
		*b = *a;
		if (a->connected && a->missed < grace) {
			b->missed++;
			continue;
		}
		if (a->connected)
			b->rx_grew = now;	/* when it was last seen */
		b->connected = 0;
		b->missed = 0;
	}
	if (next->n > n && wgtable_finish(next, 0) == -1)
		fatalx("a peer kept twice");
	return full ? -1 : 0;
}

/*
 * The later of the latest handshake and the last poll rx_bytes grew at;
 * for a session, when it began or, once ended, when it was last seen.
 */
static int64_t
wgpeer_activity(const struct wgpeer *p)
{
	return p->handshake > p->rx_grew ? p->handshake : p->rx_grew;
}

/*
 * Must the resolver hear that a peer's activity is 'act' at this poll,
 * when it knows 'told'?  It decides "online while now - activity <
 * threshold" at query time, so the two values matter when they decide
 * otherwise before the next poll can say anything: in [now, now + two
 * intervals), the second interval for the poll's own time and the
 * rounding to seconds.  Besides, activity that moved on by a quarter of
 * the threshold goes anyway: what the resolver shows is never older
 * than that, and a late poll has three quarters of the threshold before
 * it costs a decision.  A peer that keeps talking costs one message a
 * quarter threshold; a value that went back (the peer was removed and
 * added again) always goes.  Times are compared by differences with
 * 'now', which no value a parser accepts can make overflow.
 */
static int
activity_matters(int64_t told, int64_t act, int64_t now,
    uint32_t threshold, uint32_t interval)
{
	int64_t	step = ((int64_t)threshold + 3) / 4;

	if (act == told)
		return 0;
	if (act < told || act - told >= step)
		return 1;
	/* 'told' goes stale before the horizon while 'act' is fresh now */
	return now + 2 * (int64_t)interval - told >= threshold &&
	    now - act < threshold;
}

/* What the resolver hears of a peer besides its activity. */
static int
same_facts(const struct wgpeer *a, const struct wgpeer *b)
{
	return a->keepalive == b->keepalive && a->naddrs == b->naddrs &&
	    a->connected == b->connected &&
	    memcmp(a->addrs, b->addrs, a->naddrs * sizeof(a->addrs[0])) == 0;
}

/* The peer's threshold; '*k' walks the exceptions as the keys grow. */
static uint32_t
threshold_of(const struct wgthresholds *t, size_t *k, const char *key)
{
	int	c = 1;

	while (*k < t->n && (c = strcmp(t->v[*k].key, key)) < 0)
		(*k)++;
	return *k < t->n && c == 0 ? t->v[*k].threshold : t->dflt;
}

/*
 * 'b' is peer 'a' at this reading: it takes what the table remembers.
 * Must the resolver hear of it?  A session's activity decides nothing:
 * it goes when the session begins or ends (its facts change), not when
 * its start moved (a list anew after a reconnection reckons it again).
 */
static int
carry(const struct wgpeer *a, struct wgpeer *b, const struct wgpoll *poll,
    uint32_t threshold)
{
	b->told = a->told;
	if (poll->session)
		return !same_facts(a, b);
	b->rx_grew = b->rx_bytes > a->rx_bytes ? poll->now : a->rx_grew;
	return !same_facts(a, b) || activity_matters(a->told,
	    wgpeer_activity(b), poll->now, threshold, poll->interval);
}

/*
 * From 'cur' (what the resolver knows) to 'next' (this poll's, finished),
 * in one merge walk: carry over what the table remembers (when rx_bytes
 * last grew, what the resolver was told) and hand 'cb' each peer the
 * resolver must hear of (1: it is gone).  A counter above the last
 * poll's is activity at this poll's time; one that stood still or went
 * back (wireguard-go restarted, the peer re-added) is not, and is the
 * baseline for the next poll, as a new peer's counter is.  Returns how
 * many peers went to 'cb'.
 */
size_t
wgtable_diff(struct wgtable *cur, struct wgtable *next,
    const struct wgpoll *poll, void (*cb)(const struct wgpeer *, int, void *),
    void *arg)
{
	struct wgpeer	*a, *b;
	size_t		 i = 0, j = 0, k = 0, n = 0;
	int		 c;

	while (i < cur->n || j < next->n) {
		a = i < cur->n ? &cur->peers[i] : NULL;
		b = j < next->n ? &next->peers[j] : NULL;
		c = a == NULL ? 1 : b == NULL ? -1 : wgpeer_cmp(a, b);
		if (c < 0) {
			cb(a, 1, arg);
			i++;
			n++;
			continue;
		}
		j++;
		if (c == 0) {
			i++;
			if (!carry(a, b, poll, threshold_of(poll->thresholds,
			    &k, b->key)))
				continue;
		} else if (!poll->session)
			b->rx_grew = 0;
		b->told = wgpeer_activity(b);
		cb(b, 0, arg);
		n++;
	}
	return n;
}

void
wgthresholds_clear(struct wgthresholds *t, uint32_t dflt)
{
	t->dflt = dflt;
	t->n = 0;
}

void
wgthresholds_add(struct wgthresholds *t, const char *key, uint32_t threshold)
{
	struct wgthreshold	*v;
	size_t			 ncap;

	if (t->n == SRC_MAX_PEERS)
		fatalx("more thresholds than a source has peers");
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((v = reallocarray(t->v, ncap, sizeof(*v))) == NULL)
			fatal("reallocarray");
		t->v = v;
		t->cap = ncap;
	}
	strlcpy(t->v[t->n].key, key, sizeof(t->v[t->n].key));
	t->v[t->n++].threshold = threshold;
}

static int
threshold_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wgthreshold *)a)->key,
	    ((const struct wgthreshold *)b)->key);
}

void
wgthresholds_finish(struct wgthresholds *t)
{
	if (t->n > 0)
		qsort(t->v, t->n, sizeof(*t->v), threshold_cmp);
}

void
wgthresholds_free(struct wgthresholds *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
