/*
 * Upstream UDP sockets.  A query to a server goes out on the pool's
 * current socket, connected to the server (the kernel drops datagrams
 * from anywhere else), with an id not in use on that socket; the reply
 * is found by (socket, id), in a small table per socket.  A socket takes
 * USOCK_QUERIES queries or USOCK_LIFE_MS, whichever comes first, then
 * the next query opens a new one (a new random source port) and the old
 * one closes once its last query is answered or given up.
 *
 * Why not a socket per query: that cost socket, connect, two epoll_ctl
 * and close for every query, as much as all the rest of forwarding.
 * Why not one socket for good: a source port that stays open is one an
 * attacker can find (ICMP side channels, SAD DNS) and then needs only
 * the 16-bit id; a port that changes every 256 queries or second keeps
 * that search as hard as for a socket per query.  (64 queries a socket
 * measured: opening and closing them was still a third of the
 * resolver's system calls at 80,000 forwarded queries a second.)
 *
 * Datagrams go out in batches with sendmmsg, at the end of the current
 * pass over libevent's active events (an event made active: no system
 * call to schedule it), and come in with recvmmsg, 32 at a time.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qlog.h"
#include "usock.h"
#include "wire.h"

#define USOCK_SLOTS	(2 * USOCK_QUERIES)
#define USOCK_BATCH	64	/* datagrams a sendmmsg */
#define USOCK_PKT_MAX	1024	/* a query, PROXY header included */
#define USOCK_READ	32	/* datagrams a recvmmsg */
#define USOCK_ROUNDS	4	/* recvmmsg calls a wakeup, for fairness */

struct uentry {
	void		*owner;
	uint16_t	 id;
	uint8_t		 state;		/* 0 empty, 1 in use, 2 was */
};

struct usock {
	TAILQ_ENTRY(usock)	 entry;
	struct upool		*pool;
	int			 fd;
	struct event		 ev;
	uint32_t		 queries;
	uint32_t		 inflight;
	int64_t			 born_ms;
	int			 retired;
	int			 closing;	/* queued for close */
	struct usock		*nextclose;
	struct uentry		 map[USOCK_SLOTS];
};

struct upool {
	TAILQ_ENTRY(upool)	 entry;
	union sockunion		 addr;
	struct usock		*cur;
	TAILQ_HEAD(, usock)	 socks;
	struct usock_stats	 stats;
};

static TAILQ_HEAD(, upool)	pools = TAILQ_HEAD_INITIALIZER(pools);
static usock_reply_cb		reply_cb;
static usock_error_cb		error_cb;

/*
 * Two batches: what a failed send's owner sends instead while a batch is
 * going out goes into the other.
 */
struct batch {
	struct usock	*s[USOCK_BATCH];
	uint16_t	 id[USOCK_BATCH];
	uint8_t		 buf[USOCK_BATCH][USOCK_PKT_MAX];
	struct mmsghdr	 m[USOCK_BATCH];
	struct iovec	 iov[USOCK_BATCH];
	int		 n;
};

static struct {
	struct batch	 b[2];
	struct batch	*fill;
	int		 flushing;
	struct event	 ev;
	int		 armed;
	struct usock	*closing;
} out;

static struct {
	struct mmsghdr	 m[USOCK_READ];
	struct iovec	 iov[USOCK_READ];
	uint8_t		 buf[USOCK_READ][DNS_MAX_MSG + 1];
} in;

static void	usock_flush(int, short, void *);
static void	usock_send_all(void);
static void	usock_read(int, short, void *);

void
usock_init(usock_reply_cb reply, usock_error_cb error)
{
	reply_cb = reply;
	error_cb = error;
	out.fill = &out.b[0];
	evtimer_set(&out.ev, usock_flush, NULL);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Query ids from a buffer of random bytes: no system call per query. */
uint16_t
usock_random16(void)
{
	static uint16_t	buf[1024];
	static size_t	left;

	if (left == 0) {
		arc4random_buf(buf, sizeof(buf));
		left = sizeof(buf) / sizeof(buf[0]);
	}
	return buf[--left];
}

/* A server's pool, made at its first use; pools live as long as we do. */
struct upool *
usock_pool(const union sockunion *addr)
{
	struct upool	*p;

	TAILQ_FOREACH(p, &pools, entry)
		if (memcmp(&p->addr, addr, sizeof(*addr)) == 0)
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->addr = *addr;
	TAILQ_INIT(&p->socks);
	TAILQ_INSERT_TAIL(&pools, p, entry);
	return p;
}

void
usock_stats(const struct upool *p, struct usock_stats *st)
{
	*st = p->stats;
}

/* Closed at the end of the pass: a reader of it may still be running. */
static void
usock_close_later(struct usock *s)
{
	if (s->closing)
		return;
	s->closing = 1;
	s->nextclose = out.closing;
	out.closing = s;
	if (!out.armed) {
		out.armed = 1;
		event_active(&out.ev, EV_TIMEOUT, 1);
	}
}

static void
usock_retire(struct usock *s)
{
	s->retired = 1;
	if (s->pool->cur == s)
		s->pool->cur = NULL;
	if (s->inflight == 0)
		usock_close_later(s);
}

static struct usock *
usock_open(struct upool *p)
{
	struct usock	*s;
	int		 fd;

	if ((fd = socket(p->addr.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, &p->addr.sa, sockunion_len(&p->addr)) == -1) {
		close(fd);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->pool = p;
	s->fd = fd;
	s->born_ms = now_ms();
	event_set(&s->ev, fd, EV_READ | EV_PERSIST, usock_read, s);
	if (event_add(&s->ev, NULL) == -1)
		fatal("event_add");
	TAILQ_INSERT_TAIL(&p->socks, s, entry);
	p->stats.sockets++;
	p->stats.open++;
	return s;
}

/* The socket for the next query: a new one when the current one is spent. */
static struct usock *
usock_current(struct upool *p)
{
	struct usock	*s = p->cur;

	if (s != NULL && (s->queries >= USOCK_QUERIES ||
	    now_ms() - s->born_ms >= USOCK_LIFE_MS))
		usock_retire(s);
	if (p->cur == NULL)
		p->cur = usock_open(p);
	return p->cur;
}

static struct uentry *
usock_find(struct usock *s, uint16_t id)
{
	size_t	i, n;

	for (i = id % USOCK_SLOTS, n = 0; n < USOCK_SLOTS;
	    i = (i + 1) % USOCK_SLOTS, n++) {
		if (s->map[i].state == 0)
			return NULL;
		if (s->map[i].state == 1 && s->map[i].id == id)
			return &s->map[i];
	}
	return NULL;
}

/* A free slot: a socket takes fewer queries than it has slots. */
static struct uentry *
usock_slot(struct usock *s, uint16_t id)
{
	size_t	i;

	for (i = id % USOCK_SLOTS; s->map[i].state == 1;
	    i = (i + 1) % USOCK_SLOTS)
		;
	return &s->map[i];
}

/*
 * Send 'pkt' (whose DNS header starts at 'idoff') for 'owner' to the
 * pool's server: an id is chosen and written into it, and the socket and
 * id returned for the owner to give up with usock_cancel().  The datagram
 * leaves at the end of the pass.  -1 (errno set) when no socket opens.
 */
int
usock_query(struct upool *p, void *owner, uint8_t *pkt, size_t len,
    size_t idoff, struct usock **sp, uint16_t *idp)
{
	struct batch	*b;
	struct usock	*s;
	struct uentry	*e;
	uint16_t	 id;
	int		 i;

	if (len > USOCK_PKT_MAX || idoff + 2 > len)
		fatalx("an upstream query of %zu bytes", len);
	if (out.fill->n == USOCK_BATCH) {
		/* full while the other goes out: a local shortage */
		if (out.flushing) {
			errno = ENOBUFS;
			return -1;
		}
		usock_send_all();
	}
	if ((s = usock_current(p)) == NULL)
		return -1;
	do
		id = usock_random16();
	while (usock_find(s, id) != NULL);
	e = usock_slot(s, id);
	e->owner = owner;
	e->id = id;
	e->state = 1;
	s->queries++;
	s->inflight++;
	put16(pkt + idoff, id);
	b = out.fill;
	i = b->n++;
	b->s[i] = s;
	b->id[i] = id;
	memcpy(b->buf[i], pkt, len);
	b->iov[i].iov_base = b->buf[i];
	b->iov[i].iov_len = len;
	if (!out.armed) {
		out.armed = 1;
		event_active(&out.ev, EV_TIMEOUT, 1);
	}
	*sp = s;
	*idp = id;
	return 0;
}

/* The owner is done with its query (answered, given up, moved on). */
void
usock_cancel(struct usock *s, uint16_t id)
{
	struct uentry	*e;

	if ((e = usock_find(s, id)) == NULL)
		fatalx("no upstream query %u on the socket", id);
	e->state = 2;
	e->owner = NULL;
	s->inflight--;
	if (s->retired && s->inflight == 0)
		usock_close_later(s);
}

/* A datagram that could not go: its owner hears why. */
static void
usock_send_failed(struct usock *s, uint16_t id, int err)
{
	struct uentry	*e;

	if ((e = usock_find(s, id)) != NULL)
		error_cb(e->owner, err);
}

/* A batch out, a sendmmsg per run of one socket's datagrams. */
static void
usock_send(struct batch *b)
{
	struct usock	*s;
	int		 i = 0, j, rc;

	while (i < b->n) {
		for (j = i; j < b->n && b->s[j] == b->s[i]; j++) {
			memset(&b->m[j], 0, sizeof(b->m[j]));
			b->m[j].msg_hdr.msg_iov = &b->iov[j];
			b->m[j].msg_hdr.msg_iovlen = 1;
		}
		s = b->s[i];
		rc = sendmmsg(s->fd, &b->m[i], j - i, 0);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			/* this one fails; the rest may go */
			rc = errno == EAGAIN ? ENOBUFS : errno;
			usock_send_failed(s, b->id[i], rc);
			i++;
			continue;
		}
		i += rc;
	}
	b->n = 0;
}

/* Every datagram queued, and what failures made meanwhile. */
static void
usock_send_all(void)
{
	struct batch	*b;

	while (out.fill->n > 0) {
		b = out.fill;
		out.fill = b == &out.b[0] ? &out.b[1] : &out.b[0];
		out.flushing = 1;
		usock_send(b);
		out.flushing = 0;
	}
}

/*
 * The end of the pass: what was queued goes out, then the sockets done
 * with close (here only: a reader of one may be running before).
 */
static void
usock_flush(int fd, short event, void *arg)
{
	struct usock	*s;

	(void)fd;
	(void)event;
	(void)arg;
	out.armed = 0;
	usock_send_all();
	while ((s = out.closing) != NULL) {
		out.closing = s->nextclose;
		/* an owner that came back to it meanwhile keeps it open */
		if (s->inflight > 0) {
			s->closing = 0;
			continue;
		}
		event_del(&s->ev);
		close(s->fd);
		TAILQ_REMOVE(&s->pool->socks, s, entry);
		s->pool->stats.open--;
		free(s);
	}
}

/*
 * An error on the socket (a server's ICMP port unreachable, say) belongs
 * to no one query: every query on it hears it, and the socket retires.
 */
static void
usock_error(struct usock *s, int err)
{
	void	*owners[USOCK_SLOTS];
	size_t	 i, n = 0;

	for (i = 0; i < USOCK_SLOTS; i++)
		if (s->map[i].state == 1)
			owners[n++] = s->map[i].owner;
	usock_retire(s);
	for (i = 0; i < n; i++)
		error_cb(owners[i], err);
}

static void
usock_read(int fd, short event, void *arg)
{
	struct usock	*s = arg;
	struct uentry	*e;
	int		 i, n, round;

	(void)event;
	for (round = 0; round < USOCK_ROUNDS && !s->closing; round++) {
		for (i = 0; i < USOCK_READ; i++) {
			memset(&in.m[i], 0, sizeof(in.m[i]));
			in.iov[i].iov_base = in.buf[i];
			in.iov[i].iov_len = sizeof(in.buf[i]);
			in.m[i].msg_hdr.msg_iov = &in.iov[i];
			in.m[i].msg_hdr.msg_iovlen = 1;
		}
		if ((n = recvmmsg(fd, in.m, USOCK_READ, MSG_DONTWAIT,
		    NULL)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				usock_error(s, errno);
			return;
		}
		qlog_hold();
		for (i = 0; i < n; i++) {
			if (in.m[i].msg_len < DNS_HEADER_SIZE ||
			    (in.m[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    (e = usock_find(s, get16(in.buf[i]))) == NULL) {
				s->pool->stats.stray++;
				continue;
			}
			reply_cb(e->owner, in.buf[i], in.m[i].msg_len);
		}
		qlog_release();
		if (n < USOCK_READ)
			return;
	}
}
