/*
 * Response rate limiting on UDP, in the spirit of BIND's RRL: a spoofed
 * source makes a DNS server reflect and amplify traffic at its victim,
 * so answers to one client prefix are counted per second and past the
 * rate a query gets none.  Every slip-th of those gets an empty reply
 * with TC instead, so a real client in a prefix under attack can still
 * ask over TCP, which cannot be spoofed.
 *
 * The table is fixed (RL_SLOTS, direct-mapped by a keyed hash): a
 * prefix that lands on another's slot takes it over.  A client can thus
 * only reset counts, never make us allocate, and the secret key keeps
 * it from aiming at a chosen victim's slot.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ratelimit.h"

void
ratelimit_set(struct ratelimit *rl, const struct reconf_main *m)
{
	if (m->rrl_rate > 0 && rl->slots == NULL) {
		if ((rl->slots = calloc(RL_SLOTS, sizeof(*rl->slots))) == NULL)
			fatal("rate-limit table");
		arc4random_buf(&rl->hkey, sizeof(rl->hkey));
	}
	rl->rate = m->rrl_rate;
	rl->slip = m->rrl_slip;
	rl->v4len = m->rrl_v4len;
	rl->v6len = m->rrl_v6len;
}

/* The family, then the address with the bits past the prefix cleared. */
static void
rl_key(const struct ratelimit *rl, const union sockunion *su, uint8_t *key)
{
	const uint8_t	*a;
	unsigned int	 len, alen, i;

	memset(key, 0, sizeof(((struct rl_slot *)0)->key));
	key[0] = su->sa.sa_family == AF_INET ? 4 : 6;
	if (su->sa.sa_family == AF_INET) {
		a = (const uint8_t *)&su->sin.sin_addr;
		alen = 4;
		len = rl->v4len;
	} else {
		a = (const uint8_t *)&su->sin6.sin6_addr;
		alen = 16;
		len = rl->v6len;
	}
	for (i = 0; i < alen && i * 8 < len; i++)
		key[1 + i] = len - i * 8 >= 8 ? a[i] :
		    a[i] & (0xff << (8 - (len - i * 8)));
}

/* What to do with an answer to 'client' in second 'now'. */
enum rl_verdict
ratelimit_check(struct ratelimit *rl, const union sockunion *client,
    uint32_t now)
{
	struct rl_slot	*s;
	uint8_t		 key[sizeof(s->key)];
	uint32_t	 over;

	if (rl->rate == 0)
		return RL_PASS;
	rl_key(rl, client, key);
	s = &rl->slots[siphash(&rl->hkey, key, sizeof(key)) & (RL_SLOTS - 1)];
	if (memcmp(s->key, key, sizeof(key)) != 0 || s->second != now) {
		memcpy(s->key, key, sizeof(key));
		s->second = now;
		s->count = 0;
	}
	if (s->count < UINT32_MAX)
		s->count++;
	if (s->count <= rl->rate)
		return RL_PASS;
	over = s->count - rl->rate;
	return rl->slip > 0 && over % rl->slip == 0 ? RL_SLIP : RL_DROP;
}

/*
 * The answers to 'client''s prefix counted in second 'now', without
 * counting one: what vpndnsctl lookup shows.
 */
uint32_t
ratelimit_count(const struct ratelimit *rl, const union sockunion *client,
    uint32_t now)
{
	const struct rl_slot	*s;
	uint8_t			 key[sizeof(s->key)];

	if (rl->rate == 0)
		return 0;
	rl_key(rl, client, key);
	s = &rl->slots[siphash(&rl->hkey, key, sizeof(key)) & (RL_SLOTS - 1)];
	if (memcmp(s->key, key, sizeof(key)) != 0 || s->second != now)
		return 0;
	return s->count;
}

/* The prefix 'client' is counted in, for a log line. */
const char *
ratelimit_prefix(const struct ratelimit *rl, const union sockunion *client)
{
	static char	 buf[INET6_ADDRSTRLEN + 5];
	struct prefix	 p;
	uint8_t		 key[sizeof(((struct rl_slot *)0)->key)];

	rl_key(rl, client, key);
	memset(&p, 0, sizeof(p));
	p.af = client->sa.sa_family;
	p.len = p.af == AF_INET ? rl->v4len : rl->v6len;
	memcpy(&p.addr, key + 1, p.af == AF_INET ? 4 : 16);
	if (prefix_print(&p, buf, sizeof(buf)) < 0)
		strlcpy(buf, "?", sizeof(buf));
	return buf;
}
