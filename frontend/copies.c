/*
 * The resolver's local answers, copied to the frontend as they are built
 * (IMSG_LOCAL_COPY) and answered from for the rest of their second.
 *
 * A fixed table, allocated once: storing a copy happens once a second for
 * every name asked, and the UDP path allocates nothing.  Two slots a key
 * (SipHash with a secret key: clients choose the names); a new copy takes
 * the slot of its own key, else an empty or expired one, else the older.
 * A copy lost that way costs one query's trip to the resolver.  A flush
 * moves the generation on: no copy of an older one answers.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "frontend.h"
#include "log.h"
#include "siphash.h"

#define COPIES_SLOTS	1024		/* a power of two */

struct copy {
	uint64_t	hash;
	int64_t		stored;
	uint32_t	ttl;
	uint32_t	gen;
	uint16_t	keylen;
	uint16_t	wlen;
	uint8_t		key[CACHE_KEY_NAME + DNS_MAX_NAME];
	uint8_t		wire[EDNS_MAX_UDP];
};

static struct {
	struct copy		*slot;
	struct siphash_key	 hkey;
	uint32_t		 gen;
} copies;

void
copies_init(void)
{
	if ((copies.slot = calloc(COPIES_SLOTS, sizeof(*copies.slot))) == NULL)
		fatal("calloc");
	arc4random_buf(&copies.hkey, sizeof(copies.hkey));
	copies.gen = 1;
}

static int
copy_live(const struct copy *c, time_t now)
{
	return c->gen == copies.gen && now - c->stored < c->ttl;
}

static struct copy *
copy_find(const uint8_t *key, size_t keylen, uint64_t h, struct copy **pair)
{
	struct copy	*c;
	int		 i;

	pair[0] = &copies.slot[h & (COPIES_SLOTS - 1)];
	pair[1] = &copies.slot[(h ^ 1) & (COPIES_SLOTS - 1)];
	for (i = 0; i < 2; i++) {
		c = pair[i];
		if (c->hash == h && c->keylen == keylen &&
		    memcmp(c->key, key, keylen) == 0)
			return c;
	}
	return NULL;
}

/* frontend_local_copy() checked the lengths: they fit a slot. */
void
copies_store(const struct local_copy *lc, const uint8_t *key,
    const uint8_t *wire)
{
	struct copy	*c, *pair[2];
	uint64_t	 h = siphash(&copies.hkey, key, lc->keylen);

	if ((c = copy_find(key, lc->keylen, h, pair)) == NULL) {
		c = pair[0];
		if (copy_live(c, lc->stored) && (!copy_live(pair[1],
		    lc->stored) || pair[1]->stored < c->stored))
			c = pair[1];
	}
	c->hash = h;
	c->stored = lc->stored;
	c->ttl = lc->ttl;
	c->gen = copies.gen;
	c->keylen = lc->keylen;
	c->wlen = lc->wlen;
	memcpy(c->key, key, lc->keylen);
	memcpy(c->wire, wire, lc->wlen);
}

/* The copy for 'key' at 'now' (CLOCK_MONOTONIC seconds), or NULL. */
const uint8_t *
copies_find(const uint8_t *key, size_t keylen, time_t now, size_t *wlen)
{
	struct copy	*c, *pair[2];

	c = copy_find(key, keylen, siphash(&copies.hkey, key, keylen), pair);
	if (c == NULL || !copy_live(c, now))
		return NULL;
	*wlen = c->wlen;
	return c->wire;
}

void
copies_flush(void)
{
	copies.gen++;
}
