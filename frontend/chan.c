/*
 * The frontend's channels to the parent and to the resolver, beneath
 * every module of the frontend that sends on them.  What the frontend
 * answered from the resolver's copies goes to the resolver ahead of
 * anything else it is sent, so that a status or metrics request finds
 * it counted.
 */
#include <sys/types.h>

#include <string.h>

#include "frontend.h"
#include "log.h"
#include "metrics.h"

static struct {
	struct imsgev		 parent;
	struct imsgev		 resolver;
	int			 resolver_up;
	struct local_counts	 counts;	/* answered from copies */
	int			 counted;	/* counts holds some */
} ch;

struct imsgev *
chan_parent(void)
{
	return &ch.parent;
}

/* The resolver's channel, or NULL before the parent has passed it. */
struct imsgev *
chan_resolver(void)
{
	return ch.resolver_up ? &ch.resolver : NULL;
}

void
chan_open_parent(int fd, void (*cb)(int, short, void *))
{
	imsgev_init(&ch.parent, fd, IMSGBUF_FDS_RECV, CHANNEL_WMAX, cb, NULL);
}

void
chan_open_resolver(int fd, void (*cb)(int, short, void *))
{
	if (ch.resolver_up)
		fatalx("a second channel to the resolver");
	imsgev_init(&ch.resolver, fd, 0, CHANNEL_WMAX, cb, NULL);
	ch.resolver_up = 1;
}

int
chan_to_parent(uint16_t type, uint32_t peerid, const void *data, size_t len)
{
	return imsgev_compose(&ch.parent, type, peerid, -1, data, len);
}

/* The counts of answers made from copies, when the channel has room. */
static void
chan_counts(void)
{
	if (!ch.counted || !ch.resolver_up)
		return;
	if (imsg_compose(&ch.resolver.ibuf, IMSG_LOCAL_COUNTS, 0, -1,
	    &ch.counts, sizeof(ch.counts)) == -1)
		return;		/* the channel is full: later */
	memset(&ch.counts, 0, sizeof(ch.counts));
	ch.counted = 0;
}

int
chan_to_resolver(uint16_t type, uint32_t peerid, const void *data,
    size_t len)
{
	if (!ch.resolver_up)
		return -1;
	chan_counts();
	return imsgev_compose(&ch.resolver, type, peerid, -1, data, len);
}

/* A query, as the hot path composes it: no write, no event touched. */
int
chan_query(uint16_t type, const struct iovec *iov, int n)
{
	if (!ch.resolver_up)
		return -1;
	return imsg_composev(&ch.resolver.ibuf, type, 0, -1, iov, n);
}

/* Queued queries to the resolver now rather than on the next loop. */
void
chan_flush_resolver(void)
{
	if (!ch.resolver_up || imsgbuf_queued(&ch.resolver.ibuf) == 0)
		return;
	chan_counts();
	if (imsgbuf_write(&ch.resolver.ibuf) == -1)
		fatal("resolver channel");
	imsgev_update(&ch.resolver);
}

/* An answer the frontend made from a copy. */
void
chan_count_copy(int rcode, int tc)
{
	ch.counts.rcode[rcode & 0x0f]++;
	if (tc)
		ch.counts.truncated++;
	ch.counted = 1;
}

/* 'n' copies made in 'secs' each, as the resolver's answers are timed. */
void
chan_count_latency(double secs, uint64_t n)
{
	metric_latency_add(&ch.counts.latency, secs, n);
}
