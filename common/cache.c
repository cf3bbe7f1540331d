/*
 * An answer cache: a forwarder group's (two groups never share answers),
 * or the resolver's local answers, whose key the frontend's copies share
 * (cache_key_local()).  An entry is a checked reply without its OPT, with the offsets of its
 * TTLs, so that a hit is a copy and a few patches.
 *
 * A hash table with a secret key (SipHash: clients choose the names) and
 * an LRU list; the memory an entry takes is counted, and the least
 * recently used go when a new one would pass the group's cache-size.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "cache.h"
#include "dnsmsg.h"
#include "siphash.h"

#define CACHE_BUCKETS_MIN	1024
#define CACHE_STALE_MAX		86400	/* RFC 8767: a day past expiry */
#define CACHE_ENTRY_OVERHEAD	32	/* what malloc keeps beside it */

struct cache_entry {
	LIST_ENTRY(cache_entry)		 hlink;	/* unlinked without a walk */
	TAILQ_ENTRY(cache_entry)	 lru;
	uint64_t			 hash;
	time_t				 stored;
	uint32_t			 ttl;
	uint16_t			 keylen;
	uint16_t			 wlen;
	uint16_t			 nttl;
	size_t				 cost;
	uint8_t				 data[];	/* ttloff, key, wire */
};

LIST_HEAD(cache_bucket, cache_entry);

struct cache {
	struct cache_bucket		 *buckets;
	size_t				  nbuckets;
	size_t				  count;
	TAILQ_HEAD(cache_entry_head, cache_entry) lru;	/* recent first */
	size_t				  used;
	size_t				  max;
	struct siphash_key		  hkey;
	struct cache_stats		  stats;
};

static const uint16_t *
e_ttloff(const struct cache_entry *e)
{
	return (const uint16_t *)e->data;
}

static const uint8_t *
e_key(const struct cache_entry *e)
{
	return e->data + e->nttl * sizeof(uint16_t);
}

static const uint8_t *
e_wire(const struct cache_entry *e)
{
	return e_key(e) + e->keylen;
}

struct cache *
cache_new(size_t max)
{
	struct cache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->nbuckets = CACHE_BUCKETS_MIN;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL)
		fatal("calloc");
	TAILQ_INIT(&c->lru);
	arc4random_buf(&c->hkey, sizeof(c->hkey));
	c->max = max;
	c->used = c->nbuckets * sizeof(*c->buckets);
	return c;
}

static void
entry_unlink(struct cache *c, struct cache_entry *e)
{
	LIST_REMOVE(e, hlink);
	TAILQ_REMOVE(&c->lru, e, lru);
	c->used -= e->cost;
	c->count--;
	free(e);
}

void
cache_free(struct cache *c)
{
	struct cache_entry	*e;

	if (c == NULL)
		return;
	while ((e = TAILQ_FIRST(&c->lru)) != NULL)
		entry_unlink(c, e);
	free(c->buckets);
	free(c);
}

static void
cache_evict(struct cache *c, size_t room)
{
	struct cache_entry	*e;

	while (c->used + room > c->max &&
	    (e = TAILQ_LAST(&c->lru, cache_entry_head)) != NULL) {
		entry_unlink(c, e);
		c->stats.evictions++;
	}
}

/* A new size limit at a reload; the entries stay as long as they fit. */
void
cache_resize(struct cache *c, size_t max)
{
	c->max = max;
	cache_evict(c, 0);
}

static void
cache_grow(struct cache *c)
{
	struct cache_bucket	 *nb;
	struct cache_entry	 *e;
	size_t			  n = c->nbuckets * 2, i;

	if (c->used + (n - c->nbuckets) * sizeof(*nb) > c->max ||
	    (nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, then */
	for (i = 0; i < c->nbuckets; i++)
		while ((e = LIST_FIRST(&c->buckets[i])) != NULL) {
			LIST_REMOVE(e, hlink);
			LIST_INSERT_HEAD(&nb[e->hash & (n - 1)], e, hlink);
		}
	free(c->buckets);
	c->used += (n - c->nbuckets) * sizeof(*nb);
	c->buckets = nb;
	c->nbuckets = n;
}

static struct cache_entry *
cache_find(struct cache *c, const uint8_t *key, size_t keylen, uint64_t h)
{
	struct cache_entry	*e;

	LIST_FOREACH(e, &c->buckets[h & (c->nbuckets - 1)], hlink)
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e_key(e), key, keylen) == 0)
			return e;
	return NULL;
}

/*
 * The entry for 'key', fresh, or past its TTL by less than a day when
 * 'stale' allows it (RFC 8767); *age says how old it is.  Returns NULL on
 * a miss.
 */
int
cache_lookup(struct cache *c, const uint8_t *key, size_t keylen, time_t now,
    int stale, struct cache_hit *hit)
{
	struct cache_entry	*e;
	time_t			 age;

	if ((e = cache_find(c, key, keylen, siphash(&c->hkey, key,
	    keylen))) == NULL) {
		c->stats.misses++;
		return 0;
	}
	age = now - e->stored;
	if (age >= e->ttl && (!stale || age >= e->ttl + CACHE_STALE_MAX)) {
		if (age >= e->ttl + CACHE_STALE_MAX)
			entry_unlink(c, e);
		c->stats.misses++;
		return 0;
	}
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	hit->wire = e_wire(e);
	hit->wlen = e->wlen;
	hit->ttloff = e_ttloff(e);
	hit->nttl = e->nttl;
	hit->age = age;
	hit->stale = age >= e->ttl;
	if (hit->stale)
		c->stats.stale_hits++;
	else
		c->stats.hits++;
	return 1;
}

/* Without counting or reordering anything: is it there, fresh, for how long? */
int
cache_peek(struct cache *c, const uint8_t *key, size_t keylen, time_t now,
    uint32_t *left)
{
	struct cache_entry	*e;

	if ((e = cache_find(c, key, keylen, siphash(&c->hkey, key,
	    keylen))) == NULL || now - e->stored >= e->ttl)
		return 0;
	*left = e->ttl - (now - e->stored);
	return 1;
}

/* Keep a checked reply without its OPT for 'ttl' seconds. */
void
cache_store(struct cache *c, const uint8_t *key, size_t keylen,
    const uint8_t *wire, size_t wlen, const uint16_t *ttloff, uint16_t nttl,
    uint32_t ttl, time_t now)
{
	struct cache_entry	*e;
	uint64_t		 h = siphash(&c->hkey, key, keylen);
	size_t			 size, cost;

	if (ttl == 0 || keylen > UINT16_MAX || wlen > UINT16_MAX)
		return;
	size = sizeof(*e) + nttl * sizeof(uint16_t) + keylen + wlen;
	cost = size + CACHE_ENTRY_OVERHEAD;
	if (cost > c->max / 2)
		return;		/* one answer must not empty the cache */
	if ((e = cache_find(c, key, keylen, h)) != NULL)
		entry_unlink(c, e);
	cache_evict(c, cost);
	if ((e = malloc(size)) == NULL) {
		log_warn("cache entry");
		return;
	}
	e->hash = h;
	e->stored = now;
	e->ttl = ttl;
	e->keylen = keylen;
	e->wlen = wlen;
	e->nttl = nttl;
	e->cost = cost;
	/* a local answer has no TTL offsets: ttloff is NULL then */
	if (nttl > 0)
		memcpy(e->data, ttloff, nttl * sizeof(uint16_t));
	memcpy(e->data + nttl * sizeof(uint16_t), key, keylen);
	memcpy(e->data + nttl * sizeof(uint16_t) + keylen, wire, wlen);
	LIST_INSERT_HEAD(&c->buckets[h & (c->nbuckets - 1)], e, hlink);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	c->used += cost;
	c->count++;
	c->stats.inserts++;
	if (c->count > c->nbuckets)
		cache_grow(c);
}

/*
 * Drop every entry, or those for one name (lower-case wire form, as the
 * keys hold it after CACHE_KEY_NAME).  Returns how many went.
 */
size_t
cache_flush(struct cache *c, const uint8_t *name, size_t len)
{
	struct cache_entry	*e, *next;
	size_t			 n = 0;

	TAILQ_FOREACH_SAFE(e, &c->lru, lru, next) {
		/* a wire name ends itself: a client after it is no matter */
		if (name != NULL && (e->keylen < CACHE_KEY_NAME + len ||
		    memcmp(e_key(e) + CACHE_KEY_NAME, name, len) != 0))
			continue;
		entry_unlink(c, e);
		n++;
	}
	return n;
}

/*
 * The key of a local answer: its type and class, no flags (a local answer
 * is the same with DO or CD), the name in lower case.  'len' is at most
 * 255, the name's wire length.
 */
size_t
cache_key_local(uint8_t *key, uint16_t qtype, uint16_t qclass,
    const uint8_t *name, size_t len)
{
	key[0] = qtype >> 8;
	key[1] = qtype & 0xff;
	key[2] = qclass >> 8;
	key[3] = qclass & 0xff;
	key[4] = 0;
	dnsmsg_lower(key + CACHE_KEY_NAME, name, len);
	return CACHE_KEY_NAME + len;
}

void
cache_stats(const struct cache *c, struct cache_stats *st)
{
	*st = c->stats;
	st->entries = c->count;
	st->bytes = c->used;
	st->max = c->max;
}
