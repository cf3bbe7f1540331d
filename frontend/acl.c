/*
 * Who may ask, and how often: the prefix lists of the configuration
 * (allow from, proxy-protocol from, client-subnet from, transfer to),
 * swapped in whole at the end of a reload, and the rate limiter.  The
 * query path, the metrics listener and vpndnsctl lookup all ask here.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "log.h"
#include "qlog.h"
#include "ratelimit.h"

static struct {
	struct prefixlist	 lists[PLIST_MAX];
	struct prefixlist	 nlists[PLIST_MAX];	/* being received */
	struct ratelimit	 rl;
} acl;

void
acl_reconf_begin(void)
{
	int	i;

	for (i = 0; i < PLIST_MAX; i++) {
		free(acl.nlists[i].p);
		memset(&acl.nlists[i], 0, sizeof(acl.nlists[i]));
	}
}

void
acl_reconf_prefix(const struct imsg *imsg)
{
	struct prefix_msg	pm;

	if (imsg->len != sizeof(pm))
		fatalx("bad IMSG_RECONF_PREFIX");
	memcpy(&pm, imsg->data, sizeof(pm));
	if (pm.list >= PLIST_MAX ||
	    prefixlist_add(&acl.nlists[pm.list], &pm.p) == -1)
		fatal("IMSG_RECONF_PREFIX");
}

void
acl_reconf_end(const struct reconf_main *m)
{
	int	i;

	for (i = 0; i < PLIST_MAX; i++) {
		free(acl.lists[i].p);
		acl.lists[i] = acl.nlists[i];
		memset(&acl.nlists[i], 0, sizeof(acl.nlists[i]));
	}
	ratelimit_set(&acl.rl, m);
	log_debug("configuration: %zu acl prefixes, %zu proxies, "
	    "%zu ECS senders", acl.lists[PLIST_ALLOW].n,
	    acl.lists[PLIST_PROXY].n, acl.lists[PLIST_ECS].n);
}

/* Is the address in list 'list' (PLIST_*)? */
int
acl_match(int list, const union sockunion *su)
{
	return prefixlist_match(&acl.lists[list], su);
}

/* An enum rl_verdict: may the client be answered this second? */
int
acl_ratelimit(const union sockunion *client, uint32_t now)
{
	return ratelimit_check(&acl.rl, client, now);
}

const struct ratelimit *
acl_ratelimiter(void)
{
	return &acl.rl;
}

/*
 * vpndnsctl lookup: what the frontend would do with a query from the
 * address given (127.0.0.1 by default) before the resolver sees it, as
 * the query path decides, counting nothing.
 */
void
acl_lookup(struct ctl_lookup *lk)
{
	union sockunion	*c = &lk->from;
	uint32_t	 now = qlog_now() / 1000000;

	if (c->sa.sa_family != AF_INET && c->sa.sa_family != AF_INET6) {
		memset(c, 0, sizeof(*c));
		c->sin.sin_family = AF_INET;
		c->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	(void)sockunion_unmap(c);
	lk->acl = !acl_match(PLIST_ALLOW, c) ? LOOKUP_REFUSED_ACL :
	    (lk->qtype == DNS_TYPE_AXFR || lk->qtype == DNS_TYPE_IXFR) &&
	    !acl_match(PLIST_TRANSFER, c) ? LOOKUP_REFUSED_XFR :
	    LOOKUP_ALLOWED;
	lk->rl_rate = acl.rl.rate;
	lk->rl_slip = acl.rl.slip;
	lk->rl_count = ratelimit_count(&acl.rl, c, now);
	lk->rl_over = lk->rl_rate > 0 && lk->rl_count >= lk->rl_rate;
	strlcpy(lk->rl_prefix, lk->rl_rate > 0 ?
	    ratelimit_prefix(&acl.rl, c) : "", sizeof(lk->rl_prefix));
}
