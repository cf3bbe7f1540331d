/*
 * Response rate limiting on UDP: answers to one client prefix per second.
 */
#ifndef VPNDNSD_RATELIMIT_H
#define VPNDNSD_RATELIMIT_H

#include <stdint.h>

#include "siphash.h"
#include "vpndnsd.h"

#define RL_SLOTS	16384	/* prefixes tracked at once */

enum rl_verdict {
	RL_PASS,
	RL_DROP,
	RL_SLIP			/* an empty reply with TC instead */
};

struct rl_slot {
	uint8_t		key[17];	/* family, then the masked address */
	uint32_t	second;
	uint32_t	count;
};

struct ratelimit {
	struct rl_slot		*slots;	/* allocated when first enabled */
	struct siphash_key	 hkey;
	uint32_t		 rate;	/* 0: off */
	uint32_t		 slip;
	uint8_t			 v4len;
	uint8_t			 v6len;
};

void		ratelimit_set(struct ratelimit *, const struct reconf_main *);
enum rl_verdict	ratelimit_check(struct ratelimit *, const union sockunion *,
		    uint32_t);
const char	*ratelimit_prefix(const struct ratelimit *,
		    const union sockunion *);
uint32_t	ratelimit_count(const struct ratelimit *,
		    const union sockunion *, uint32_t);

#endif
