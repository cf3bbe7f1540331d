/*
 * Forwarding to upstream servers, per forwarder group.
 *
 * A UDP query goes out on one of the server's sockets (usock.c: a pool of
 * connected sockets whose random source port changes every 256 queries
 * or second) with an id free on that socket; a reply counts only if it comes
 * from the server's address and port, to that socket and id, carries the
 * question as we asked it, and passes dnsmsg_check.  Anything else is
 * counted and dropped, and the real reply is still waited for.  A TCP
 * query has a connection of its own.
 * TC moves the query to TCP on the same server; a TCP client's query goes
 * over TCP from the start.  Identical queries in flight to a group are
 * one upstream query.
 *
 * Each query has a budget (the group's timeout), shared by the servers
 * it tries: failover tries them in order, round-robin starts each query
 * at the next one.  A server that fails SRV_DOWN_AFTER times in a row is
 * down: skipped, and probed with back-off until it answers again.
 *
 * A server may be sent the client: a PROXY v2 header (per datagram, and
 * at the start of each connection, which carries one query of one
 * client) or an ECS option.  A group with such a server never merges two
 * clients' queries, and one with a PROXY server caches per client (the
 * server may answer each client its own way); ECS answers are cached
 * only when their scope is 0.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "dnsmsg.h"
#include "dnstap.h"
#include "dot.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "proxyv2.h"
#include "qlog.h"
#include "resolver.h"
#include "siphash.h"
#include "usock.h"
#include "wire.h"

#define SRV_DOWN_AFTER		3
#define PROBE_MIN_MS		1000
#define PROBE_MAX_MS		60000
#define UQ_MAX_WAITERS		64
#define UPSTREAM_JSON_MAX	(FWD_MAX_SERVERS * 1024 + 1024)
#define ATTEMPT_MIN_MS		50

struct server_stats {
	uint64_t	queries;
	uint64_t	answers;
	uint64_t	timeouts;
	uint64_t	errors;
	uint64_t	rejected;	/* SERVFAIL, REFUSED...: tried on */
	uint64_t	malformed;	/* ours, but broken: dropped */
	uint64_t	mismatched;	/* not ours: dropped */
	uint32_t	rtt_us;		/* smoothed */
	char		lasterr[160];
};

struct group_stats {
	uint64_t	queries;
	uint64_t	hits;
	uint64_t	forwarded;
	uint64_t	coalesced;
	uint64_t	servfail;
	uint64_t	stale;
};

struct server {
	struct group		*group;
	union sockunion		 addr;
	int			 proxy;
	int			 ecs;
	uint8_t			 ecs_v4;
	uint8_t			 ecs_v6;
	int			 down;
	uint32_t		 fails;		/* in a row */
	uint32_t		 backoff_ms;
	struct event		 probe;
	struct uquery		*probing;	/* the probe in flight */
	uint64_t		 lastok;	/* its latest answer, us */
	struct server_stats	 stats;
	struct upool		*pool;		/* its UDP sockets */
	struct dpool		*dpool;		/* or its TLS connections */
};

struct group {
	TAILQ_ENTRY(group)	 entry;
	char			 name[FWD_NAME_MAX];
	struct server		 servers[FWD_MAX_SERVERS];
	uint32_t		 nservers;
	uint32_t		 policy;
	uint32_t		 timeout_ms;
	uint32_t		 rr;
	uint32_t		 min_ttl;
	uint32_t		 max_ttl;
	int			 serve_stale;
	int			 present;
	int			 proxy;		/* a server gets PROXY */
	int			 perclient;	/* ... or ECS */
	size_t			 ninflight;
	struct cache		*cache;
	struct group_stats	 stats;
};

struct uquery {
	LIST_ENTRY(uquery)	 hlink;		/* its bucket of 'inflight' */
	TAILQ_ENTRY(uquery)	 all;
	uint64_t		 hash;
	struct group		*group;
	uint8_t			 key[CACHE_KEY_MAX + 1];	/* + transport */
	size_t			 keylen;
	uint8_t			 qname[DNS_MAX_NAME];
	struct dnsmsg_q		 q;
	int			 perclient;	/* never merged across clients */
	int			 refused;	/* a server said REFUSED */
	union sockunion		 client;	/* the first waiter's */
	uint8_t			 client_len;	/* its prefix: ECS or all */
	struct dnsmsg_ecs	 ecs;		/* sent this attempt */
	int			 dobit;
	int			 cd;
	int			 tcp;
	struct server		*probe;		/* a probe of this server */
	struct server		*srv;		/* the one asked now */
	uint32_t		 tried;		/* bit per server */
	struct usock		*us;		/* UDP: the socket, */
	uint16_t		 usid;		/* and the id there */
	struct dconn		*dc;		/* TLS: the connection, */
	uint16_t		 dcid;		/* and the id there */
	int			 dcagain;	/* sent again after a close */
	int			 fd;		/* TCP */
	struct event		 ev;
	struct event		 timer;
	uint64_t		 start;		/* us, as qlog_now() */
	uint64_t		 astart;	/* this attempt's */
	uint8_t			*tbuf;		/* TCP: query out, reply in */
	size_t			 tcap;
	size_t			 tlen;
	size_t			 toff;
	struct query_msg	*waiters;	/* &one, or more of them */
	size_t			 nwaiters;
	size_t			 cwaiters;
	struct query_msg	 one;		/* most queries have one */
};

LIST_HEAD(uquery_bucket, uquery);

/*
 * Queries in flight to the servers, by what merges them: a hash table of
 * twice the buckets max-inflight allows, under SipHash with a secret key
 * (clients choose the names), and a list to walk them all.
 */
static struct {
	struct uquery_bucket	*b;
	size_t			 n;
	struct siphash_key	 key;
	TAILQ_HEAD(, uquery)	 all;
} inflight = { .all = TAILQ_HEAD_INITIALIZER(inflight.all) };

static TAILQ_HEAD(, group)	groups = TAILQ_HEAD_INITIALIZER(groups);
static size_t			ninflight;
static size_t			maxinflight = UQ_MAX_INFLIGHT;
static size_t			fdinflight = UQ_MAX_INFLIGHT;
static uint8_t			abuf[DNS_MAX_MSG + DNSMSG_OPT_LEN];
static long long		uq_lastwarn;

static void	uq_attempt(struct uquery *);
static void	uq_send(struct uquery *);
static void	uq_send_tls(struct uquery *);
static void	probe_done(struct uquery *, int);
static void	uq_tcp_io(int, short, void *);
static void	uq_timeout(int, short, void *);
static void	probe_start(int, short, void *);
static void	uq_free(struct uquery *);
static void	uq_close(struct uquery *);
static void	uq_finish(struct uquery *);

/* Two clients' addresses, ports aside. */
static int
client_same(const union sockunion *a, const union sockunion *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return memcmp(&a->sin.sin_addr, &b->sin.sin_addr, 4) == 0;
	return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
}

/* What merges two queries: group, key, and the client when per client. */
static uint64_t
uquery_hash(const struct uquery *uq)
{
	uint8_t		buf[sizeof(void *) + 17 + CACHE_KEY_MAX + 1];
	size_t		len = 0;
	uintptr_t	g = (uintptr_t)uq->group;

	memcpy(buf, &g, sizeof(g));
	len += sizeof(g);
	buf[len++] = uq->perclient;
	if (uq->perclient) {
		memset(buf + len, 0, 16);
		memcpy(buf + len, uq->client.sa.sa_family == AF_INET ?
		    (const void *)&uq->client.sin.sin_addr :
		    (const void *)&uq->client.sin6.sin6_addr,
		    uq->client.sa.sa_family == AF_INET ? 4 : 16);
		len += 16;
	}
	memcpy(buf + len, uq->key, uq->keylen);
	return siphash(&inflight.key, buf, len + uq->keylen);
}

static int
uquery_same(const struct uquery *a, const struct uquery *b)
{
	/* perclient is fixed at creation: a reload may change the group's */
	return a->group == b->group && a->keylen == b->keylen &&
	    a->perclient == b->perclient && (!a->perclient ||
	    client_same(&a->client, &b->client)) &&
	    memcmp(a->key, b->key, a->keylen) == 0;
}

static struct uquery *
inflight_find(struct uquery *key)
{
	struct uquery	*uq;

	key->hash = uquery_hash(key);
	LIST_FOREACH(uq, &inflight.b[key->hash & (inflight.n - 1)], hlink)
		if (uq->hash == key->hash && uquery_same(uq, key))
			return uq;
	return NULL;
}

/* Sized for 'max' in flight: twice the buckets, a power of two. */
static void
inflight_size(size_t max)
{
	struct uquery_bucket	*b;
	struct uquery		*uq;
	size_t			 n = 1024;

	while (n < 2 * max)
		n *= 2;
	if (n == inflight.n)
		return;
	if (inflight.n == 0)
		arc4random_buf(&inflight.key, sizeof(inflight.key));
	if ((b = calloc(n, sizeof(*b))) == NULL)
		fatal("calloc");
	TAILQ_FOREACH(uq, &inflight.all, all)
		LIST_INSERT_HEAD(&b[uq->hash & (n - 1)], uq, hlink);
	free(inflight.b);
	inflight.b = b;
	inflight.n = n;
}

static void
timer_ms(struct event *ev, uint32_t ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/*
 * Times from qlog_now(): one clock reading for a run of queries or of
 * replies (the resolver's batches, usock_read), not five a query.
 */
static int64_t
ms_since(uint64_t t0)
{
	return (int64_t)(qlog_now() - t0) / 1000;
}

static int64_t
us_since(uint64_t t0)
{
	return (int64_t)(qlog_now() - t0);
}

/* At most 'n' upstream queries in flight: a descriptor each. */
void
upstream_limit(size_t n)
{
	fdinflight = maxinflight = n < UQ_MAX_INFLIGHT ? n : UQ_MAX_INFLIGHT;
	inflight_size(maxinflight);
}

/* upstream max-inflight, within what the descriptors allow. */
void
upstream_set_inflight(size_t n)
{
	maxinflight = n < fdinflight ? n : fdinflight;
	inflight_size(maxinflight);
}

time_t
upstream_now(void)
{
	return qlog_now() / 1000000;
}

struct group *
upstream_group(const char *name)
{
	struct group	*g;

	TAILQ_FOREACH(g, &groups, entry)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

const char *
upstream_group_name(const struct group *g)
{
	return g->name;
}

/*
 * A reload: groups are kept by name (their caches and the state of the
 * servers they keep survive it); upstream_reconf_end drops the others.
 */
void
upstream_reconf_begin(void)
{
	struct group	*g;

	TAILQ_FOREACH(g, &groups, entry)
		g->present = 0;
}

/*
 * Only the servers below g->nservers have a probe timer or a probe in
 * flight: stopping those leaves every slot free to be rewritten.
 */
static void
group_stop_probes(struct group *g)
{
	struct server	*s;
	uint32_t	 i;

	for (i = 0; i < g->nservers; i++) {
		s = &g->servers[i];
		evtimer_del(&s->probe);
		if (s->probing != NULL)
			uq_free(s->probing);
	}
}

/*
 * The queries in flight to a group whose servers were rewritten: one
 * waiting on a server still in the group follows it to its new slot;
 * one waiting on a server gone tries the others.
 */
static void
group_repoint(struct group *g, const union sockunion *old)
{
	struct uquery	*uq, *next;
	uint32_t	 i;
	const union sockunion *a;

	TAILQ_FOREACH_SAFE(uq, &inflight.all, all, next) {
		if (uq->group != g || uq->srv == NULL)
			continue;
		a = &old[uq->srv - g->servers];
		for (i = 0; i < g->nservers; i++)
			if (memcmp(&g->servers[i].addr, a, sizeof(*a)) == 0)
				break;
		uq->tried = 0;
		if (i < g->nservers) {
			uq->srv = &g->servers[i];
			uq->tried = 1U << i;
			continue;
		}
		uq_close(uq);
		uq_attempt(uq);
	}
}

/*
 * A group as the configuration has it now; 'cafd' is its CA file, open,
 * when a server speaks TLS (else -1).
 */
void
upstream_reconf_group(const struct forwarder_msg *fc, int cafd)
{
	struct group	*g;
	struct server	 old[FWD_MAX_SERVERS], *s;
	union sockunion	 oldaddr[FWD_MAX_SERVERS];
	uint32_t	 i, j, nold;
	uint8_t		*ca = NULL;
	size_t		 calen = 0;

	if ((g = upstream_group(fc->name)) == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL)
			fatal("calloc");
		strlcpy(g->name, fc->name, sizeof(g->name));
		g->cache = cache_new(fc->cache_size);
		TAILQ_INSERT_TAIL(&groups, g, entry);
	} else
		cache_resize(g->cache, fc->cache_size);
	/* a server kept across the reload keeps its state and figures */
	group_stop_probes(g);
	nold = g->nservers;
	memcpy(old, g->servers, sizeof(old));
	for (i = 0; i < nold; i++)
		oldaddr[i] = old[i].addr;
	for (i = 0; i < fc->nservers; i++) {
		s = &g->servers[i];
		memset(s, 0, sizeof(*s));
		s->group = g;
		s->addr = fc->servers[i].addr;
		s->proxy = fc->servers[i].proxy;
		s->ecs = fc->servers[i].ecs;
		s->ecs_v4 = fc->servers[i].ecs_v4;
		s->ecs_v6 = fc->servers[i].ecs_v6;
		if (!fc->servers[i].tls)
			s->pool = usock_pool(&s->addr);
		else {
			if (cafd != -1) {
				ca = dot_ca_read(cafd, &calen);
				cafd = -1;
			}
			s->dpool = dot_pool(&s->addr, fc->servers[i].tls_name,
			    ca, calen);
		}
		evtimer_set(&s->probe, probe_start, s);
		for (j = 0; j < nold; j++)
			if (memcmp(&old[j].addr, &s->addr,
			    sizeof(s->addr)) == 0) {
				s->down = old[j].down;
				s->fails = old[j].fails;
				s->backoff_ms = old[j].backoff_ms;
				s->lastok = old[j].lastok;
				s->stats = old[j].stats;
				break;
			}
		if (s->down)
			timer_ms(&s->probe, PROBE_MIN_MS);
	}
	/* after the new ones: a pool both use stays */
	for (j = 0; j < nold; j++)
		if (old[j].dpool != NULL)
			dot_pool_put(old[j].dpool);
	free(ca);
	if (cafd != -1)
		close(cafd);
	g->nservers = fc->nservers;
	g->proxy = g->perclient = 0;
	for (i = 0; i < g->nservers; i++) {
		g->proxy |= g->servers[i].proxy;
		g->perclient |= g->servers[i].proxy | g->servers[i].ecs;
	}
	g->policy = fc->policy;
	g->timeout_ms = fc->timeout_ms;
	g->min_ttl = fc->cache_min_ttl;
	g->max_ttl = fc->cache_max_ttl;
	g->serve_stale = fc->serve_stale;
	g->present = 1;
	group_repoint(g, oldaddr);
}

void
upstream_reconf_end(void)
{
	struct group	*g, *next;
	struct uquery	*uq, *nuq;
	uint32_t	 i;

	TAILQ_FOREACH_SAFE(g, &groups, entry, next) {
		if (g->present)
			continue;
		TAILQ_FOREACH_SAFE(uq, &inflight.all, all, nuq)
			if (uq->group == g)
				uq_finish(uq);	/* its clients get SERVFAIL */
		group_stop_probes(g);
		for (i = 0; i < g->nservers; i++)
			if (g->servers[i].dpool != NULL)
				dot_pool_put(g->servers[i].dpool);
		cache_free(g->cache);
		TAILQ_REMOVE(&groups, g, entry);
		free(g);
	}
}

static void
uq_close(struct uquery *uq)
{
	if (uq->us != NULL) {
		usock_cancel(uq->us, uq->usid);
		uq->us = NULL;
	}
	if (uq->dc != NULL) {
		dot_cancel(uq->dc, uq->dcid);
		uq->dc = NULL;
	}
	if (uq->fd != -1) {
		event_del(&uq->ev);
		close(uq->fd);
		uq->fd = -1;
	}
	evtimer_del(&uq->timer);
	free(uq->tbuf);
	uq->tbuf = NULL;
}

static void
uq_free(struct uquery *uq)
{
	uq_close(uq);
	if (uq->probe != NULL)
		uq->probe->probing = NULL;
	else {
		LIST_REMOVE(uq, hlink);
		TAILQ_REMOVE(&inflight.all, uq, all);
		ninflight--;
		uq->group->ninflight--;
	}
	if (uq->waiters != &uq->one)
		free(uq->waiters);
	free(uq);
}

static void
server_failed(struct server *s, const char *why)
{
	strlcpy(s->stats.lasterr, why, sizeof(s->stats.lasterr));
	if (++s->fails < SRV_DOWN_AFTER || s->down)
		return;
	s->down = 1;
	s->backoff_ms = PROBE_MIN_MS;
	log_warnx("forwarder \"%s\": server %s is down: %s", s->group->name,
	    sockunion_ntop(&s->addr), why);
	timer_ms(&s->probe, s->backoff_ms);
}

static void
server_answered(struct server *s, int64_t rtt_us)
{
	s->stats.answers++;
	s->lastok = qlog_now();
	/* smoothed as TCP does: 7/8 old, 1/8 new */
	s->stats.rtt_us = s->stats.rtt_us == 0 ? rtt_us :
	    (s->stats.rtt_us * 7 + rtt_us) / 8;
	s->fails = 0;
	if (s->down) {
		s->down = 0;
		evtimer_del(&s->probe);
		log_info("forwarder \"%s\": server %s is up again",
		    s->group->name, sockunion_ntop(&s->addr));
	}
}

/* What the clients get when no server answered: stale data, or SERVFAIL. */
static void
uq_finish(struct uquery *uq)
{
	struct group		*g = uq->group;
	struct cache_hit	 hit;
	struct verdict		 v = { NULL, g->name, NULL };
	char			 text[DNSMSG_EDE_TEXT];
	size_t			 i, len;
	uint16_t		 ede;

	snprintf(text, sizeof(text), "forwarder \"%s\": no server answered",
	    g->name);
	for (i = 0; i < uq->nwaiters; i++) {
		ede = 0;
		/* a query of the other transport may have cached one since */
		if (cache_lookup(g->cache, uq->key, uq->keylen - 1,
		    upstream_now(), g->serve_stale, &hit)) {
			len = dnsmsg_answer(abuf, sizeof(abuf), hit.wire,
			    hit.wlen, hit.ttloff, hit.nttl, &uq->waiters[i],
			    hit.age, hit.stale ? DNSMSG_STALE : DNSMSG_FORWARDED);
			if (hit.stale)
				g->stats.stale++;
			else
				g->stats.hits++;
			v.what = hit.stale ? "stale" : "cached";
			ede = hit.stale ? EDE_STALE : 0;
		} else if (uq->refused) {
			/* a server's policy, not a failure: passed on */
			len = dnsmsg_error(abuf, sizeof(abuf),
			    &uq->waiters[i], DNS_RCODE_REFUSED);
			v.what = "refused upstream";
		} else {
			len = dnsmsg_error(abuf, sizeof(abuf),
			    &uq->waiters[i], DNS_RCODE_SERVFAIL);
			g->stats.servfail++;
			v.what = "no server answered";
			ede = EDE_NO_REACHABLE;
		}
		reply_answer_ede(&uq->waiters[i], abuf, len, &v, ede, text);
	}
	uq_free(uq);
}

/* The next server to try, or NULL when none is left. */
static struct server *
uq_pick(struct uquery *uq)
{
	struct group	*g = uq->group;
	uint32_t	 i, n = g->nservers, start;

	if (uq->probe != NULL)
		return uq->tried ? NULL : uq->probe;
	start = g->policy == FWD_ROUNDROBIN && uq->tried == 0 ?
	    g->rr++ % n : 0;
	for (i = 0; i < n; i++) {
		struct server *s = &g->servers[(start + i) % n];

		if (!s->down && !(uq->tried & (1U << ((start + i) % n))))
			return s;
	}
	/*
	 * Every server is down: the first still gets one try, so that a
	 * server wrongly thought down costs a wait, not an outage.
	 */
	return uq->tried == 0 ? &g->servers[start] : NULL;
}

/* The budget left, shared by the servers not tried yet (this one too). */
static int64_t
uq_attempt_ms(struct uquery *uq)
{
	struct group	*g = uq->group;
	int64_t		 left = g->timeout_ms - ms_since(uq->start);
	uint32_t	 i, untried = 0;

	if (uq->probe != NULL)
		return left;
	/* the one being tried is marked tried already */
	for (i = 0; i < g->nservers; i++)
		if (!g->servers[i].down && !(uq->tried & (1U << i)))
			untried++;
	left /= untried + 1;
	return left < ATTEMPT_MIN_MS ? ATTEMPT_MIN_MS : left;
}

/* This attempt is over; 'blame' when it was the server's fault. */
static void
uq_next(struct uquery *uq, const char *why, int blame)
{
	if (blame)
		server_failed(uq->srv, why);
	uq_close(uq);
	if (ms_since(uq->start) >= (int64_t)uq->group->timeout_ms) {
		uq->srv = NULL;
		if (uq->probe != NULL)
			probe_done(uq, 0);
		else
			uq_finish(uq);
		return;
	}
	uq_attempt(uq);
}

/*
 * A local shortage (descriptors, buffers) is not the server's fault.
 * 'why' tells it better than 'err' where there is more to say (TLS).
 */
static void
uq_fail(struct uquery *uq, int err, const char *why)
{
	int	local = err == EMFILE || err == ENFILE || err == ENOBUFS ||
		    err == ENOMEM;

	if (why == NULL)
		why = strerror(err);
	if (local) {
		if (log_ratelimit(&uq_lastwarn))
			log_warnx("forwarder \"%s\": %s", uq->group->name,
			    why);
	} else
		uq->srv->stats.errors++;
	uq_next(uq, why, !local);
}

static void
uq_error(struct uquery *uq, int err)
{
	uq_fail(uq, err, NULL);
}

/* A TCP connection of the query's own. */
static int
uq_connect(struct uquery *uq)
{
	const union sockunion	*a = &uq->srv->addr;

	if ((uq->fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(uq->fd, &a->sa, sockunion_len(a)) == -1 &&
	    errno != EINPROGRESS) {
		close(uq->fd);
		uq->fd = -1;
		return -1;
	}
	return 0;
}

static void
uq_arm(struct uquery *uq, short what, void (*cb)(int, short, void *))
{
	event_set(&uq->ev, uq->fd, what | EV_PERSIST, cb, uq);
	if (event_add(&uq->ev, NULL) == -1)
		fatal("event_add");
	timer_ms(&uq->timer, uq_attempt_ms(uq));
}

/* The next server, or the end: stale data or SERVFAIL. */
static void
uq_attempt(struct uquery *uq)
{
	if ((uq->srv = uq_pick(uq)) == NULL) {
		if (uq->probe != NULL)
			probe_done(uq, 0);
		else
			uq_finish(uq);
		return;
	}
	uq->tried |= 1U << (uq->srv - uq->group->servers);
	uq_send(uq);
}

/* The client's subnet as this server is to get it. */
static const struct dnsmsg_ecs *
uq_ecs(struct uquery *uq)
{
	struct dnsmsg_ecs	*e = &uq->ecs;
	const struct server	*s = uq->srv;
	uint8_t			 len;

	if (!s->ecs || uq->client.sa.sa_family == AF_UNSPEC)
		return NULL;
	memset(e, 0, sizeof(*e));
	if (uq->client.sa.sa_family == AF_INET) {
		e->family = 1;
		len = s->ecs_v4;
		memcpy(e->addr, &uq->client.sin.sin_addr, 4);
	} else {
		e->family = 2;
		len = s->ecs_v6;
		memcpy(e->addr, &uq->client.sin6.sin6_addr, 16);
	}
	/* never more of it than we know: an ECS client is a subnet */
	e->len = len < uq->client_len ? len : uq->client_len;
	memset(e->addr + (e->len + 7) / 8, 0, 16 - (e->len + 7) / 8);
	if (e->len % 8)
		e->addr[e->len / 8] &= 0xff << (8 - e->len % 8);
	return e;
}

/* dnstap: a query to a forwarder, or its answer. */
static void
uq_dnstap(const struct uquery *uq, int type, const uint8_t *msg, size_t len)
{
	struct dnstap_msg	m;

	if (!dnstap_wanted())
		return;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.proto = uq->srv->dpool != NULL ? DNSTAP_DOT : uq->tcp ? DNSTAP_TCP :
	    DNSTAP_UDP;
	m.response_addr = &uq->srv->addr;
	m.query_us = uq->astart;
	m.response_us = type == DNSTAP_FORWARDER_RESPONSE ? qlog_now() : 0;
	m.msg = msg;
	m.len = len;
	dnstap_log(&m);
}

/*
 * To a TLS server: over one of its connections, whatever the client
 * came by (never in plain text), with the id the connection gives it.
 */
static void
uq_send_tls(struct uquery *uq)
{
	struct dot_stats	st;
	uint8_t			pkt[DNS_HEADER_SIZE + DNS_MAX_NAME + 4 +
				    DNSMSG_OPT_LEN + DNSMSG_ECS_LEN];
	size_t			len;

	uq->q.id = 0;
	uq->q.ecs = uq_ecs(uq);
	len = dnsmsg_query(pkt, sizeof(pkt), &uq->q, uq->dobit, uq->cd);
	if (dot_query(uq->srv->dpool, uq, pkt, len, &uq->dc, &uq->dcid) ==
	    -1) {
		dot_stats(uq->srv->dpool, &st);
		uq_fail(uq, errno, errno == ECONNREFUSED && st.lasterr[0] ?
		    st.lasterr : NULL);
		return;
	}
	uq->q.id = uq->dcid;
	put16(pkt, uq->dcid);
	uq_dnstap(uq, DNSTAP_FORWARDER_QUERY, pkt, len);
	timer_ms(&uq->timer, uq_attempt_ms(uq));
}

/*
 * To uq->srv, over TCP or UDP, with a new id each time; a PROXY header
 * first (before the length on TCP) when the server is to know the
 * client.
 */
static void
uq_send(struct uquery *uq)
{
	uint8_t		pkt[PROXYV2_HDR + PROXYV2_V6_LEN + 2 + DNS_HEADER_SIZE +
			    DNS_MAX_NAME + 4 + DNSMSG_OPT_LEN + DNSMSG_ECS_LEN];
	size_t		hlen = 0, off, len;

	uq->srv->stats.queries++;
	uq->astart = qlog_now();
	if (uq->srv->dpool != NULL) {
		uq_send_tls(uq);
		return;
	}
	/* UDP: the socket's module picks the id, and writes it in */
	uq->q.id = usock_random16();
	uq->q.ecs = uq_ecs(uq);
	if (uq->srv->proxy)
		hlen = proxyv2_build(pkt, sizeof(pkt), uq->tcp, &uq->client,
		    &uq->srv->addr);
	off = hlen + (uq->tcp ? 2 : 0);
	len = dnsmsg_query(pkt + off, sizeof(pkt) - off, &uq->q, uq->dobit,
	    uq->cd);
	if (!uq->tcp) {
		if (usock_query(uq->srv->pool, uq, pkt, hlen + len, hlen,
		    &uq->us, &uq->usid) == -1) {
			uq_error(uq, errno);
			return;
		}
		uq->q.id = uq->usid;
		uq_dnstap(uq, DNSTAP_FORWARDER_QUERY, pkt + hlen, len);
		timer_ms(&uq->timer, uq_attempt_ms(uq));
		return;
	}
	if (uq_connect(uq) == -1) {
		uq_error(uq, errno);
		return;
	}
	pkt[hlen] = len >> 8;
	pkt[hlen + 1] = len & 0xff;
	/* the reply's room is taken once its length is known */
	if ((uq->tbuf = malloc(off + len)) == NULL)
		fatal("malloc");
	memcpy(uq->tbuf, pkt, off + len);
	uq_dnstap(uq, DNSTAP_FORWARDER_QUERY, pkt + off, len);
	uq->tcap = uq->tlen = off + len;
	uq->toff = 0;
	uq_arm(uq, EV_WRITE, uq_tcp_io);
}

static void
uq_timeout(int fd, short event, void *arg)
{
	struct uquery	*uq = arg;

	(void)fd;
	(void)event;
	uq->srv->stats.timeouts++;
	/*
	 * A server that answered something else meanwhile is alive: this
	 * name is slow (perhaps on purpose), and that must not take the
	 * server down for everyone.
	 */
	uq_next(uq, "timeout", uq->probe != NULL ||
	    uq->srv->lastok < uq->astart);
}

/* The TTL a reply may be cached for, or 0 when it must not be. */
static uint32_t
cache_ttl(const struct group *g, const struct dnsmsg_info *info)
{
	uint32_t	ttl;
	int		rcode = DNS_RCODE(info->flags);

	/* an extended rcode is in the OPT, which the cache does not keep */
	if (info->nttl > DNSMSG_MAX_TTLS || (info->flags & DNS_FLAG_TC) ||
	    info->ext_rcode != 0)
		return 0;
	if (rcode == DNS_RCODE_NOERROR && info->ancount > 0)
		ttl = info->minttl;
	else if ((rcode == DNS_RCODE_NOERROR ||
	    rcode == DNS_RCODE_NXDOMAIN) && info->has_soa)
		ttl = info->negttl;	/* RFC 2308 */
	else
		return 0;
	if (ttl < g->min_ttl)
		ttl = g->min_ttl;
	if (ttl > g->max_ttl)
		ttl = g->max_ttl;
	return ttl;
}

/* A good reply: every client waiting gets its copy; the cache one too. */
static void
uq_answered(struct uquery *uq, uint8_t *msg, size_t len,
    const struct dnsmsg_info *info)
{
	struct group	*g = uq->group;
	struct verdict	 v = { "forwarded to", NULL, NULL };
	size_t		 i, alen;
	uint32_t	 ttl;

	server_answered(uq->srv, us_since(uq->astart));
	if (uq->probe != NULL) {
		probe_done(uq, 1);
		return;
	}
	len = dnsmsg_strip_opt(msg, len, info);
	/* RFC 2308 5: a negative answer's SOA lives as long as the answer */
	if (info->ancount == 0 && info->has_soa)
		dnsmsg_set_ttl(msg, info->soattl, info->negttl);
	/* no record outlives its cache entry, or ages to 0 inside it */
	dnsmsg_clamp_ttls(msg, len, info, g->min_ttl, g->max_ttl);
	/* an answer for the client's subnet alone is not everyone's */
	if ((ttl = cache_ttl(g, info)) > 0 && (g->proxy || uq->q.ecs == NULL ||
	    info->ecs_scope <= 0))
		cache_store(g->cache, uq->key, uq->keylen - 1, msg, len,
		    info->ttloff, info->nttl, ttl, upstream_now());
	v.name = g->name;
	v.server = &uq->srv->addr;
	for (i = 0; i < uq->nwaiters; i++) {
		alen = dnsmsg_answer(abuf, sizeof(abuf), msg, len, NULL, 0,
		    &uq->waiters[i], 0, DNSMSG_FORWARDED);
		alen = dnsmsg_ext_rcode(abuf, sizeof(abuf), alen,
		    &uq->waiters[i], info->ext_rcode);
		reply_answer(&uq->waiters[i], abuf, alen, &v);
	}
	g->stats.forwarded += uq->nwaiters;
	uq_free(uq);
}

/* Upstream rcodes that say "ask someone else" (RFC 8767 serves stale). */
static int
uq_rejected(int rcode)
{
	return rcode == DNS_RCODE_SERVFAIL || rcode == DNS_RCODE_REFUSED ||
	    rcode == DNS_RCODE_FORMERR || rcode == DNS_RCODE_NOTIMP;
}

/* Returns 1 when the reply was taken (uq may be gone then), 0 to wait. */
static int
uq_reply(struct uquery *uq, uint8_t *msg, size_t len)
{
	struct dnsmsg_info	info;

	switch (dnsmsg_check(msg, len, &uq->q, &info)) {
	case DNSMSG_MISMATCH:
		uq->srv->stats.mismatched++;
		log_debug("forwarder \"%s\": %s: reply dropped: %s",
		    uq->group->name, sockunion_ntop(&uq->srv->addr), info.why);
		return 0;
	case DNSMSG_MALFORMED:
		uq->srv->stats.malformed++;
		log_debug("forwarder \"%s\": %s: malformed reply dropped: %s",
		    uq->group->name, sockunion_ntop(&uq->srv->addr), info.why);
		return 0;
	case DNSMSG_OK:
		break;
	}
	uq_dnstap(uq, DNSTAP_FORWARDER_RESPONSE, msg, len);
	if ((info.flags & DNS_FLAG_TC) && !uq->tcp && uq->srv->dpool == NULL) {
		/* truncated: the same server over TCP, the budget running */
		uq_close(uq);
		uq->tcp = 1;
		uq_send(uq);
		return 1;
	}
	if (uq->probe == NULL && uq_rejected(DNS_RCODE(info.flags))) {
		/* alive, but no use for this query: the next server */
		server_answered(uq->srv, us_since(uq->astart));
		uq->srv->stats.rejected++;
		uq->refused |= DNS_RCODE(info.flags) == DNS_RCODE_REFUSED;
		uq_next(uq, "rejected", 0);
		return 1;
	}
	uq_answered(uq, msg, len, &info);
	return 1;
}

/* A reply on the socket (usock.c) or connection (dot.c) and id of this query. */
static void
uq_msg_reply(void *arg, uint8_t *msg, size_t len)
{
	(void)uq_reply(arg, msg, len);
}

/* An error on the socket of this query, or its datagram could not go. */
static void
uq_udp_error(void *arg, int err)
{
	uq_error(arg, err);
}

/*
 * A TLS connection failed under this query; or it closed, and the query
 * goes once more to the same server on another (a server may close an
 * idle connection just as we write to it).
 */
static void
uq_tls_error(void *arg, int err, const char *why, int again)
{
	struct uquery	*uq = arg;

	if (again && !uq->dcagain) {
		uq->dcagain = 1;
		uq_close(uq);
		uq_send(uq);
		return;
	}
	uq_fail(uq, err, why);
}

void
upstream_init(void)
{
	usock_init(uq_msg_reply, uq_udp_error);
	dot_init(uq_msg_reply, uq_tls_error);
}

static void
uq_tcp_io(int fd, short event, void *arg)
{
	struct uquery	*uq = arg;
	ssize_t		 n;
	size_t		 need;
	int		 err = 0;
	socklen_t	 errlen = sizeof(err);

	(void)event;
	if (uq->tlen > 0 && uq->toff < uq->tlen) {
		/* connecting, then sending the query */
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) ==
		    -1 || err != 0) {
			uq_error(uq, err ? err : errno);
			return;
		}
		if ((n = send(fd, uq->tbuf + uq->toff, uq->tlen - uq->toff,
		    MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			uq_error(uq, errno);
			return;
		}
		if ((uq->toff += n) < uq->tlen)
			return;
		uq->tlen = uq->toff = 0;
		event_del(&uq->ev);
		event_set(&uq->ev, fd, EV_READ | EV_PERSIST, uq_tcp_io, uq);
		if (event_add(&uq->ev, NULL) == -1)
			fatal("event_add");
		return;
	}
	need = uq->toff < 2 ? 2 : 2 + get16(uq->tbuf);
	if (need > uq->tcap) {
		if ((uq->tbuf = realloc(uq->tbuf, need)) == NULL)
			fatal("realloc");
		uq->tcap = need;
	}
	if ((n = recv(fd, uq->tbuf + uq->toff, need - uq->toff, 0)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		uq_error(uq, errno);
		return;
	}
	if (n == 0) {
		uq->srv->stats.errors++;
		uq_next(uq, "connection closed", 1);
		return;
	}
	if ((uq->toff += n) < 2 ||
	    uq->toff < 2 + (size_t)(uq->tbuf[0] << 8 | uq->tbuf[1]))
		return;
	/* one reply per connection: anything but the real one fails it */
	if (!uq_reply(uq, uq->tbuf + 2, uq->toff - 2))
		uq_next(uq, "a bad reply over TCP", 1);
}

static struct uquery *
uq_new(struct group *g, const uint8_t *qname, size_t qlen, uint16_t qtype,
    uint16_t qclass, int dobit, int cd, int tcp)
{
	struct uquery	*uq;

	if ((uq = calloc(1, sizeof(*uq))) == NULL)
		fatal("calloc");
	uq->group = g;
	uq->fd = -1;
	memcpy(uq->qname, qname, qlen);
	uq->q.qname = uq->qname;
	uq->q.qlen = qlen;
	uq->q.qtype = qtype;
	uq->q.qclass = qclass;
	uq->dobit = dobit;
	uq->cd = cd;
	uq->tcp = tcp;
	evtimer_set(&uq->timer, uq_timeout, uq);
	uq->start = qlog_now();
	return uq;
}

/* A server that is down: any reply to ". NS" brings it back. */
static void
probe_start(int fd, short event, void *arg)
{
	struct server	*s = arg;
	struct uquery	*uq;

	(void)fd;
	(void)event;
	uq = uq_new(s->group, (const uint8_t *)"", 1, 2, 1, 0, 0, 0);
	uq->probe = s;
	s->probing = uq;
	uq_attempt(uq);
}

static void
probe_done(struct uquery *uq, int answered)
{
	struct server	*s = uq->probe;

	if (!answered && s->down) {
		s->backoff_ms *= 2;
		if (s->backoff_ms > PROBE_MAX_MS)
			s->backoff_ms = PROBE_MAX_MS;
		timer_ms(&s->probe, s->backoff_ms);
	}
	uq_free(uq);
}

/*
 * The cache key: type, class, DO and CD, the lower-case name, and in a
 * group whose servers get PROXY headers the client's address.
 */
static size_t
make_key(uint8_t *key, const struct group *g, const struct query_msg *qm,
    const uint8_t *lname)
{
	const union sockunion	*c = &qm->ctx.client;
	size_t			 len = CACHE_KEY_NAME + qm->qname_len;

	key[0] = qm->qtype >> 8;
	key[1] = qm->qtype & 0xff;
	key[2] = qm->qclass >> 8;
	key[3] = qm->qclass & 0xff;
	key[4] = (qm->edns_do ? CACHE_KEY_DO : 0) |
	    (qm->flags & DNS_FLAG_CD ? CACHE_KEY_CD : 0);
	memcpy(key + CACHE_KEY_NAME, lname, qm->qname_len);
	if (!g->proxy)
		return len;
	memset(key + len, 0, CACHE_KEY_CLIENT);
	key[len] = c->sa.sa_family == AF_INET ? 4 : 6;
	if (c->sa.sa_family == AF_INET)
		memcpy(key + len + 1, &c->sin.sin_addr, 4);
	else
		memcpy(key + len + 1, &c->sin6.sin6_addr, 16);
	return len + CACHE_KEY_CLIENT;
}

/*
 * A query for group 'g': from the cache, onto a query already in flight,
 * or out to a server.  'lname' is the name in lower case.
 */
void
upstream_query(struct group *g, const struct query_msg *qm,
    const uint8_t *lname)
{
	struct uquery		 key, *uq;
	struct cache_hit	 hit;
	struct verdict		 v = { NULL, g->name, NULL };
	size_t			 len;
	struct query_msg	*w;

	g->stats.queries++;
	key.group = g;
	key.perclient = g->perclient;
	key.client = qm->ctx.client;
	key.keylen = make_key(key.key, g, qm, lname);
	if (cache_lookup(g->cache, key.key, key.keylen, upstream_now(), 0,
	    &hit)) {
		g->stats.hits++;
		len = dnsmsg_answer(abuf, sizeof(abuf), hit.wire, hit.wlen,
		    hit.ttloff, hit.nttl, qm, hit.age, DNSMSG_FORWARDED);
		v.what = "cached";
		reply_answer(qm, abuf, len, &v);
		return;
	}
	key.key[key.keylen++] = qm->ctx.tcp;
	if ((uq = inflight_find(&key)) == NULL) {
		/* one slow group cannot take every slot */
		if (ninflight >= maxinflight ||
		    g->ninflight >= maxinflight / 2) {
			g->stats.servfail++;
			len = dnsmsg_error(abuf, sizeof(abuf), qm,
			    DNS_RCODE_SERVFAIL);
			v.what = "too many in flight";
			reply_answer(qm, abuf, len, &v);
			return;
		}
		uq = uq_new(g, qm->qname, qm->qname_len, qm->qtype,
		    qm->qclass, qm->edns_do, (qm->flags & DNS_FLAG_CD) != 0,
		    qm->ctx.tcp);
		memcpy(uq->key, key.key, key.keylen);
		uq->keylen = key.keylen;
		uq->perclient = key.perclient;
		uq->client = key.client;
		uq->client_len = qm->ctx.via == VIA_ECS ? qm->ctx.ecs_len :
		    key.client.sa.sa_family == AF_INET ? 32 : 128;
		uq->hash = key.hash;
		LIST_INSERT_HEAD(&inflight.b[uq->hash & (inflight.n - 1)], uq,
		    hlink);
		TAILQ_INSERT_TAIL(&inflight.all, uq, all);
		ninflight++;
		g->ninflight++;
	} else if (uq->nwaiters == UQ_MAX_WAITERS) {
		g->stats.servfail++;
		len = dnsmsg_error(abuf, sizeof(abuf), qm, DNS_RCODE_SERVFAIL);
		v.what = "too many waiting";
		reply_answer(qm, abuf, len, &v);
		return;
	} else
		g->stats.coalesced++;
	if (uq->nwaiters == 0) {
		uq->waiters = &uq->one;
		uq->cwaiters = 1;
	} else if (uq->nwaiters == uq->cwaiters) {
		/* doubled: up to UQ_MAX_WAITERS */
		if ((w = reallocarray(NULL, 2 * uq->cwaiters,
		    sizeof(*w))) == NULL)
			fatal("reallocarray");
		memcpy(w, uq->waiters, uq->nwaiters * sizeof(*w));
		if (uq->waiters != &uq->one)
			free(uq->waiters);
		uq->waiters = w;
		uq->cwaiters *= 2;
	}
	uq->waiters[uq->nwaiters++] = *qm;
	if (uq->nwaiters == 1)
		uq_attempt(uq);
}

/*
 * vpndnsctl show forwarders prints two tables, the groups and then their
 * servers; each header is printed with its rows' column widths.
 */
#define GROUP_HEAD	"%-16s %-11s %10s %9s %9s %9s %9s %9s %9s %9s %11s " \
			    "%11s %9s"
#define SERVER_HEAD	"%-16s %-24s %-9s %-5s %-10s %6s %8s %7s %9s %9s %9s %9s " \
			    "%9s %9s %10s %9s %s"

/* A group's figures and its cache's, as a table row. */
static void
group_line(const struct group *g, char *out, size_t len)
{
	struct cache_stats	cs;

	cache_stats(g->cache, &cs);
	snprintf(out, len, "%-16s %-11s %10u %9llu %9llu %9llu %9llu %9llu "
	    "%9llu %9llu %11llu %11llu %9llu", g->name,
	    g->policy == FWD_ROUNDROBIN ? "round-robin" : "failover",
	    g->timeout_ms, (unsigned long long)g->stats.queries,
	    (unsigned long long)g->stats.hits,
	    (unsigned long long)g->stats.forwarded,
	    (unsigned long long)g->stats.coalesced,
	    (unsigned long long)g->stats.servfail,
	    (unsigned long long)g->stats.stale,
	    (unsigned long long)cs.entries, (unsigned long long)cs.bytes,
	    (unsigned long long)cs.max, (unsigned long long)cs.evictions);
}

/* A server's UDP sockets; for one of TLS, none. */
static void
server_usock_stats(const struct server *s, struct usock_stats *us)
{
	if (s->pool != NULL)
		usock_stats(s->pool, us);
	else
		memset(us, 0, sizeof(*us));
}

/* A TLS server's connections; for one of UDP and TCP, nothing. */
static void
server_dot_stats(const struct server *s, struct dot_stats *ds)
{
	if (s->dpool != NULL)
		dot_stats(s->dpool, ds);
	else {
		memset(ds, 0, sizeof(*ds));
		ds->state = "-";
		ds->lasterr = "";
	}
}

/* A server's row in the servers' table. */
static void
server_line(const struct group *g, const struct server *s, char *out,
    size_t len)
{
	struct usock_stats	us;
	struct dot_stats	ds;

	server_usock_stats(s, &us);
	server_dot_stats(s, &ds);
	snprintf(out, len, "%-16s %-24s %-9s %-5s %-10s %6llu %8llu %7.1f "
	    "%9llu %9llu %9llu %9llu %9llu %9llu %10llu %9llu %s", g->name,
	    sockunion_ntop(&s->addr), s->dpool != NULL ? "tls" : "udp/tcp",
	    s->down ? "down" : "up", ds.state,
	    (unsigned long long)ds.connections,
	    (unsigned long long)ds.tls_failures, s->stats.rtt_us / 1000.0,
	    (unsigned long long)s->stats.queries,
	    (unsigned long long)s->stats.answers,
	    (unsigned long long)s->stats.timeouts,
	    (unsigned long long)s->stats.errors,
	    (unsigned long long)s->stats.rejected,
	    (unsigned long long)s->stats.malformed,
	    (unsigned long long)s->stats.mismatched,
	    (unsigned long long)(us.stray + ds.stray),
	    s->stats.lasterr[0] ? s->stats.lasterr : "-");
}

/* A group as one JSON object, its servers an array in it. */
static int
group_json(const struct group *g, char *out, size_t len)
{
	struct json		 j;
	struct cache_stats	 cs;
	const struct server	*s;
	struct usock_stats	 us;
	struct dot_stats	 ds;
	uint32_t		 i;

	cache_stats(g->cache, &cs);
	json_init(&j, out, len);
	json_object(&j, NULL);
	json_str(&j, "forwarder", g->name);
	json_str(&j, "policy", g->policy == FWD_ROUNDROBIN ? "round-robin" :
	    "failover");
	json_uint(&j, "timeout_ms", g->timeout_ms);
	json_uint(&j, "queries", g->stats.queries);
	json_uint(&j, "cache_hits", g->stats.hits);
	json_uint(&j, "forwarded", g->stats.forwarded);
	json_uint(&j, "coalesced", g->stats.coalesced);
	json_uint(&j, "servfail", g->stats.servfail);
	json_uint(&j, "stale", g->stats.stale);
	json_uint(&j, "cache_entries", cs.entries);
	json_uint(&j, "cache_bytes", cs.bytes);
	json_uint(&j, "cache_max", cs.max);
	json_uint(&j, "cache_evictions", cs.evictions);
	json_array(&j, "servers");
	for (i = 0; i < g->nservers; i++) {
		s = &g->servers[i];
		server_usock_stats(s, &us);
		server_dot_stats(s, &ds);
		json_object(&j, NULL);
		json_str(&j, "server", sockunion_ntop(&s->addr));
		json_str(&j, "transport", s->dpool != NULL ? "tls" : "udp/tcp");
		json_bool(&j, "up", !s->down);
		if (s->dpool != NULL) {
			json_str(&j, "connection", ds.state);
			json_uint(&j, "connections_open", ds.open);
			json_uint(&j, "connections", ds.connections);
			json_uint(&j, "tls_failures", ds.tls_failures);
			json_uint(&j, "connection_failures", ds.failures);
			json_str(&j, "tls_error", ds.lasterr[0] ?
			    ds.lasterr : NULL);
		}
		json_real(&j, "rtt_ms", s->stats.rtt_us / 1000.0);
		json_uint(&j, "queries", s->stats.queries);
		json_uint(&j, "answers", s->stats.answers);
		json_uint(&j, "timeouts", s->stats.timeouts);
		json_uint(&j, "errors", s->stats.errors);
		json_uint(&j, "rejected", s->stats.rejected);
		json_uint(&j, "malformed", s->stats.malformed);
		json_uint(&j, "mismatched", s->stats.mismatched);
		json_uint(&j, "stray", us.stray + ds.stray);
		json_str(&j, "last_error", s->stats.lasterr[0] ?
		    s->stats.lasterr : NULL);
		json_close(&j);
	}
	json_close(&j);
	json_close(&j);
	return json_end(&j);
}

/* The tables for people: a row per group, then a row per server. */
static int
upstream_tables(int (*cb)(const char *, void *), void *arg)
{
	struct group	*g;
	char		 line[1024];
	uint32_t	 i;

	snprintf(line, sizeof(line), GROUP_HEAD, "forwarder", "policy",
	    "timeout-ms", "queries", "hits", "forwarded", "coalesced",
	    "servfail", "stale", "entries", "bytes", "max-bytes", "evicted");
	if (cb(line, arg) == -1)
		return -1;
	TAILQ_FOREACH(g, &groups, entry) {
		group_line(g, line, sizeof(line));
		if (cb(line, arg) == -1)
			return -1;
	}
	snprintf(line, sizeof(line), "\n" SERVER_HEAD, "forwarder", "server",
	    "transport", "state", "connection", "opened", "tls-fail",
	    "rtt-ms", "queries", "answers", "timeouts", "errors", "rejected",
	    "malformed", "mismatched", "stray", "last-error");
	if (cb(line, arg) == -1)
		return -1;
	TAILQ_FOREACH(g, &groups, entry)
		for (i = 0; i < g->nservers; i++) {
			server_line(g, &g->servers[i], line, sizeof(line));
			if (cb(line, arg) == -1)
				return -1;
		}
	return 0;
}

/*
 * vpndnsctl show forwarders: two tables; with 'json', one object per
 * group holding its servers.
 */
int
upstream_dump(int json, int (*cb)(const char *, void *), void *arg)
{
	struct group	*g;
	char		 line[UPSTREAM_JSON_MAX];

	if (!json)
		return upstream_tables(cb, arg);
	TAILQ_FOREACH(g, &groups, entry) {
		if (group_json(g, line, sizeof(line)) == -1)
			fatalx("forwarder \"%s\": JSON longer than %d bytes",
			    g->name, UPSTREAM_JSON_MAX);
		if (cb(line, arg) == -1)
			return -1;
	}
	return 0;
}

/* The sums over every group, for vpndnsctl show status. */
void
upstream_totals(struct resolver_stats *st)
{
	struct group		*g;
	struct cache_stats	 cs;

	st->forwarded = st->cache_hits = st->cache_misses = 0;
	st->cache_entries = st->cache_bytes = 0;
	TAILQ_FOREACH(g, &groups, entry) {
		cache_stats(g->cache, &cs);
		st->forwarded += g->stats.forwarded;
		st->cache_hits += cs.hits + cs.stale_hits;
		st->cache_misses += cs.misses;
		st->cache_entries += cs.entries;
		st->cache_bytes += cs.bytes;
	}
}

/* vpndnsctl flush: every cache, one group's, or one name in every one. */
size_t
upstream_flush(const char *group, const uint8_t *name, size_t len)
{
	struct group	*g;
	size_t		 n = 0;

	TAILQ_FOREACH(g, &groups, entry)
		if (group == NULL || strcmp(group, g->name) == 0)
			n += cache_flush(g->cache, name, len);
	return n;
}

/* For vpndnsctl lookup: is the answer cached, and for how long yet? */
int
upstream_cached(struct group *g, const struct query_msg *qm,
    const uint8_t *lname, uint32_t *left)
{
	uint8_t	key[CACHE_KEY_MAX];

	return cache_peek(g->cache, key, make_key(key, g, qm, lname),
	    upstream_now(), left);
}

/* The i-th group for metric_table(): its own figures, or its cache's. */
static const struct group *
group_at(size_t i, char *labels, size_t len)
{
	struct group	*g;

	TAILQ_FOREACH(g, &groups, entry)
		if (i-- == 0) {
			metric_label(labels, len, "group", g->name);
			return g;
		}
	return NULL;
}

static const void *
group_item(size_t i, char *labels, size_t len, void *arg)
{
	const struct group	*g = group_at(i, labels, len);

	(void)arg;
	return g != NULL ? &g->stats : NULL;
}

static const void *
cache_item(size_t i, char *labels, size_t len, void *arg)
{
	const struct group	*g = group_at(i, labels, len);

	if (g == NULL)
		return NULL;
	cache_stats(g->cache, arg);
	return arg;
}

/* The i-th server over every group, for metric_table() too. */
static const struct server *
server_at(size_t i, char *labels, size_t len)
{
	struct group	*g;

	TAILQ_FOREACH(g, &groups, entry) {
		if (i >= g->nservers) {
			i -= g->nservers;
			continue;
		}
		metric_label(labels, len, "group", g->name);
		metric_label(labels, len, "server",
		    sockunion_ntop(&g->servers[i].addr));
		return &g->servers[i];
	}
	return NULL;
}

static const void *
server_item(size_t i, char *labels, size_t len, void *arg)
{
	const struct server	*s = server_at(i, labels, len);

	(void)arg;
	return s != NULL ? &s->stats : NULL;
}

/* The groups' and servers' figures for Prometheus. */
void
upstream_metrics(struct metrics *m)
{
	static const struct metric_field gf[] = {
		{ "vpndnsd_forwarder_queries_total", "counter",
		    "Queries a forwarder group was given.",
		    offsetof(struct group_stats, queries) },
		{ "vpndnsd_forwarder_forwarded_total", "counter",
		    "Queries answered by one of the group's servers.",
		    offsetof(struct group_stats, forwarded) },
		{ "vpndnsd_forwarder_coalesced_total", "counter",
		    "Queries that joined one already in flight.",
		    offsetof(struct group_stats, coalesced) },
		{ "vpndnsd_forwarder_servfail_total", "counter",
		    "Queries no server answered.",
		    offsetof(struct group_stats, servfail) },
		{ "vpndnsd_cache_hits_total", "counter",
		    "Answers from the group's cache.",
		    offsetof(struct group_stats, hits) },
		{ "vpndnsd_cache_stale_hits_total", "counter",
		    "Expired answers served while the servers failed.",
		    offsetof(struct group_stats, stale) },
	}, cf[] = {
		{ "vpndnsd_cache_misses_total", "counter",
		    "Lookups the group's cache could not answer.",
		    offsetof(struct cache_stats, misses) },
		{ "vpndnsd_cache_entries", "gauge",
		    "Answers in the group's cache.",
		    offsetof(struct cache_stats, entries) },
		{ "vpndnsd_cache_bytes", "gauge",
		    "Memory the group's cache holds, of cache-size.",
		    offsetof(struct cache_stats, bytes) },
		{ "vpndnsd_cache_evictions_total", "counter",
		    "Answers dropped from a full cache.",
		    offsetof(struct cache_stats, evictions) },
	}, sf[] = {
		{ "vpndnsd_upstream_queries_total", "counter",
		    "Queries sent to an upstream server.",
		    offsetof(struct server_stats, queries) },
		{ "vpndnsd_upstream_answers_total", "counter",
		    "Answers taken from an upstream server.",
		    offsetof(struct server_stats, answers) },
		{ "vpndnsd_upstream_timeouts_total", "counter",
		    "Attempts an upstream server did not answer in time.",
		    offsetof(struct server_stats, timeouts) },
		{ "vpndnsd_upstream_errors_total", "counter",
		    "Attempts that failed locally or by ICMP.",
		    offsetof(struct server_stats, errors) },
		{ "vpndnsd_upstream_rejected_total", "counter",
		    "SERVFAIL, REFUSED, FORMERR or NOTIMP answers, tried on.",
		    offsetof(struct server_stats, rejected) },
		{ "vpndnsd_upstream_malformed_total", "counter",
		    "Replies that were ours but broken: dropped.",
		    offsetof(struct server_stats, malformed) },
		{ "vpndnsd_upstream_mismatched_total", "counter",
		    "Replies that were not ours: dropped.",
		    offsetof(struct server_stats, mismatched) },
	};
	const struct server	*s;
	struct cache_stats	 cs;
	struct usock_stats	 us;
	struct dot_stats	 ds;
	char			 l[METRICS_LINE_MAX];
	size_t			 i;

	metric_table(m, gf, sizeof(gf) / sizeof(gf[0]), group_item, NULL);
	metric_table(m, cf, sizeof(cf) / sizeof(cf[0]), cache_item, &cs);
	metric_table(m, sf, sizeof(sf) / sizeof(sf[0]), server_item, NULL);
	/* what is not a counter of the server's own */
	metric_help(m, "vpndnsd_upstream_up", "gauge",
	    "1 while the server is taken to be up.");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL; i++)
		metric_u64(m, "vpndnsd_upstream_up", l, !s->down);
	metric_help(m, "vpndnsd_upstream_stray_total", "counter",
	    "Replies to the server's UDP sockets that no query waited for "
	    "(late, or forged): dropped.  Per server address.");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL;
	    i++) {
		server_usock_stats(s, &us);
		metric_u64(m, "vpndnsd_upstream_stray_total", l, us.stray);
	}
	metric_help(m, "vpndnsd_upstream_sockets_open", "gauge",
	    "UDP sockets open to the server.  Per server address.");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL;
	    i++) {
		server_usock_stats(s, &us);
		metric_u64(m, "vpndnsd_upstream_sockets_open", l, us.open);
	}
	metric_help(m, "vpndnsd_upstream_tls_connections_open", "gauge",
	    "TLS connections open to the server (tls servers only).");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL;
	    i++) {
		if (s->dpool == NULL)
			continue;
		dot_stats(s->dpool, &ds);
		metric_u64(m, "vpndnsd_upstream_tls_connections_open", l,
		    ds.open);
	}
	metric_help(m, "vpndnsd_upstream_tls_failures_total", "counter",
	    "TLS handshakes with the server that failed (tls servers only).");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL;
	    i++) {
		if (s->dpool == NULL)
			continue;
		dot_stats(s->dpool, &ds);
		metric_u64(m, "vpndnsd_upstream_tls_failures_total", l,
		    ds.tls_failures);
	}
	metric_help(m, "vpndnsd_upstream_rtt_seconds", "gauge",
	    "The server's smoothed round-trip time.");
	for (i = 0; l[0] = '\0', (s = server_at(i, l, sizeof(l))) != NULL; i++)
		metric_f(m, "vpndnsd_upstream_rtt_seconds", l,
		    s->stats.rtt_us / 1e6);
}
