/*
 * Answer caches, a forwarder group's and the resolver's local answers,
 * and their keys: the frontend's copies of local answers share those.
 */
#ifndef VPNDNSD_CACHE_H
#define VPNDNSD_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A key: type, class, flags (DO, CD), then the lower-case name. */
#define CACHE_KEY_NAME		5
#define CACHE_KEY_CLIENT	17	/* family, address: a per-client cache */
#define CACHE_KEY_MAX		(CACHE_KEY_NAME + 255 + CACHE_KEY_CLIENT)
#define CACHE_KEY_DO		0x01
#define CACHE_KEY_CD		0x02

struct cache;

struct cache_hit {
	const uint8_t	*wire;
	size_t		 wlen;
	const uint16_t	*ttloff;
	uint16_t	 nttl;
	uint32_t	 age;
	int		 stale;
};

struct cache_stats {
	uint64_t	hits;
	uint64_t	stale_hits;
	uint64_t	misses;
	uint64_t	inserts;
	uint64_t	evictions;
	uint64_t	entries;
	uint64_t	bytes;
	uint64_t	max;
};

struct cache	*cache_new(size_t);
void		 cache_free(struct cache *);
void		 cache_resize(struct cache *, size_t);
int		 cache_lookup(struct cache *, const uint8_t *, size_t, time_t,
		    int, struct cache_hit *);
int		 cache_peek(struct cache *, const uint8_t *, size_t, time_t,
		    uint32_t *);
void		 cache_store(struct cache *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint16_t *, uint16_t,
		    uint32_t, time_t);
size_t		 cache_flush(struct cache *, const uint8_t *, size_t);
size_t		 cache_key_local(uint8_t *, uint16_t, uint16_t,
		    const uint8_t *, size_t);
void		 cache_stats(const struct cache *, struct cache_stats *);

#endif
