/*
 * DNS over TLS to upstream servers (RFC 7858), beneath upstream.c as
 * usock.c is for UDP.  A pool per (server address, name its certificate
 * must carry, CAs) holds up to DOT_CONNS connections that stay open
 * while they are used: a query goes on the least busy one, another is
 * opened only when each has DOT_BUSY queries in flight, so queries in a
 * row share one connection and its handshake.  Queries are pipelined and
 * their answers matched by id in whatever order they come (RFC 7766
 * 6.2.1.1).  Ids are slots of the connection, not random: the channel is
 * authenticated, no one off path can answer on it.
 *
 * Nothing here blocks: connect, handshake, reads and writes are
 * libtls's on non-blocking sockets, each TLS_WANT_POLLIN/POLLOUT a wait
 * in the event loop.  Queries written in one pass over the events go out
 * in one tls_write at its end.
 *
 * A connection that cannot be set up (refused, a certificate that does
 * not verify, no handshake within DOT_SETUP_MS) fails the queries
 * waiting on it and holds the pool back from trying again for a back-off
 * that doubles up to DOT_BACKOFF_MAX_MS; meanwhile queries fail at once
 * with the same reason.  One log line per change of state: when the
 * pool starts failing or fails for another reason, and when it works
 * again.  A connection idle for DOT_IDLE_MS is closed; one with queries
 * out and no answer to any for DOT_STALL_MS (whatever else it reads), or
 * that could write nothing of what it holds for as long, is taken for
 * dead.
 *
 * An id stays taken until its answer comes or the connection closes,
 * even when its owner gave the query up: were it given to another query
 * first, the late answer would pass for that one's (only the id and the
 * question are checked, not DO, CD or the client subnet).  So every byte
 * queued belongs to a taken id, and a connection holds at most
 * DOT_SLOTS queries' worth; one with DOT_ORPHANS_MAX given up and never
 * answered takes nothing new and closes once its last owner is done.
 * A pool without CAs (none could be read) never connects: libtls would
 * read the system's store then, a file the sandbox does not allow.
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

#include <tls.h>

#include "dot.h"
#include "log.h"
#include "qlog.h"
#include "siphash.h"
#include "wire.h"

#define DOT_CONNS		2	/* connections a server, at most */
#define DOT_SLOTS		512	/* ids (queries) a connection */
#define DOT_BUSY		64	/* ids taken on each: another opens */
#define DOT_ORPHANS_MAX		(DOT_SLOTS / 4)	/* given up, unanswered */
#define DOT_IDLE_MS		10000	/* an idle connection is closed after */
#define DOT_CA_MAX		(4 * 1024 * 1024)
#define DOT_SETUP_MS		5000	/* connect and handshake */
#define DOT_STALL_MS		5000	/* queries out, nothing back */
#define DOT_BACKOFF_MIN_MS	500
#define DOT_BACKOFF_MAX_MS	30000
#define DOT_INBUF		(2 + DNS_MAX_MSG)	/* a whole message */
#define DOT_ERR_MAX		160

enum dc_state {
	DC_CONNECT,		/* TCP */
	DC_HANDSHAKE,		/* TLS */
	DC_READY,
	DC_DEAD			/* failed or closed: closes when unused */
};

struct dentry {
	void		*owner;		/* NULL: given up, the answer to come */
	uint8_t		 used;
	uint8_t		 answered;	/* its id is free again at the cancel */
};

struct dconn {
	TAILQ_ENTRY(dconn)	 entry;
	struct dpool		*pool;
	enum dc_state		 state;
	int			 fd;
	struct tls		*tls;
	struct event		 rev;
	struct event		 wev;
	uint8_t			*out;		/* queries, length first */
	size_t			 outlen;
	size_t			 outoff;
	size_t			 outcap;
	uint8_t			*in;		/* DOT_INBUF */
	size_t			 inlen;
	int64_t			 born_ms;
	int64_t			 active_ms;	/* last read or written */
	int64_t			 waiting_ms;	/* written, no answer since */
	int64_t			 wrote_ms;	/* last write or first queued */
	int			 flushing;	/* on the flush list */
	struct dconn		*nextflush;
	int			 closing;	/* on the close list */
	struct dconn		*nextclose;
	uint32_t		 inflight;	/* queries an owner waits for */
	uint32_t		 orphans;	/* given up, not answered */
	uint32_t		 taken;		/* ids: inflight + orphans */
	uint16_t		 free[DOT_SLOTS];	/* ids, first free first */
	uint16_t		 freehead;
	struct dentry		 map[DOT_SLOTS];
};

struct dpool {
	TAILQ_ENTRY(dpool)	 entry;
	union sockunion		 addr;
	char			 name[DOT_NAME_MAX];
	uint64_t		 cahash;
	size_t			 calen;
	struct tls_config	*cfg;
	char			 caerr[DOT_ERR_MAX];	/* no CA: why */
	int			 refs;
	TAILQ_HEAD(, dconn)	 conns;
	int			 failing;
	int64_t			 retry_ms;	/* no new connection before */
	uint32_t		 backoff_ms;
	struct dot_stats	 stats;
	char			 lasterr[DOT_ERR_MAX];
};

static TAILQ_HEAD(, dpool)	pools = TAILQ_HEAD_INITIALIZER(pools);
static dot_reply_cb		reply_cb;
static dot_error_cb		error_cb;
static struct siphash_key	cakey;	/* tells CA files apart, no secret */

static struct {
	struct event	 ev;		/* the end of the pass */
	int		 armed;
	struct dconn	*flush;
	struct dconn	*close;
	struct event	 tick;		/* timeouts, once a second */
	int		 ticking;
} dot;

static void	dot_pass(int, short, void *);
static void	dot_tick(int, short, void *);
static void	dc_io(int, short, void *);
static void	dc_kill(struct dconn *);

void
dot_init(dot_reply_cb reply, dot_error_cb error)
{
	reply_cb = reply;
	error_cb = error;
	evtimer_set(&dot.ev, dot_pass, NULL);
	evtimer_set(&dot.tick, dot_tick, NULL);
	/*
	 * libtls loads OpenSSL's configuration (a file) at its first use:
	 * here, while the files are still there, not inside the chroot.
	 */
	if (tls_init() == -1)
		fatalx("tls_init");
}

static int64_t
now_ms(void)
{
	return (int64_t)(qlog_now() / 1000);
}

/*
 * A CA file the parent opened, whole (bounded): read at a reload, like
 * the blocklists, since the chroot holds no file.  NULL (and *len 0)
 * when it cannot be read; the handshakes then fail and say so.
 */
uint8_t *
dot_ca_read(int fd, size_t *len)
{
	uint8_t	*buf = NULL, *nbuf;
	size_t	 cap = 0;
	ssize_t	 n;

	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap == DOT_CA_MAX) {
				log_warnx("tls-ca: more than %d bytes",
				    DOT_CA_MAX);
				break;
			}
			cap = cap == 0 ? 256 * 1024 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL)
				fatal("realloc");
			buf = nbuf;
		}
		if ((n = read(fd, buf + *len, cap - *len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("tls-ca");
			break;
		}
		if (n == 0) {
			close(fd);
			return buf;
		}
		*len += n;
	}
	close(fd);
	free(buf);
	*len = 0;
	return NULL;
}

/* Work for the end of the pass (event_active: no system call). */
static void
dot_arm(void)
{
	if (!dot.armed) {
		dot.armed = 1;
		event_active(&dot.ev, EV_TIMEOUT, 1);
	}
}

static void
dot_tick_start(void)
{
	struct timeval	tv = { 1, 0 };

	if (!dot.ticking) {
		dot.ticking = 1;
		evtimer_add(&dot.tick, &tv);
	}
}

/*
 * The pool of a server: one made for it, or the one it had (a reload
 * keeps connections whose address, name and CAs are the same).
 */
struct dpool *
dot_pool(const union sockunion *addr, const char *name, const uint8_t *ca,
    size_t calen)
{
	struct dpool	*p;
	uint64_t	 h;

	if (TAILQ_EMPTY(&pools))
		arc4random_buf(&cakey, sizeof(cakey));
	h = calen > 0 ? siphash(&cakey, ca, calen) : 0;	/* ca may be NULL */
	TAILQ_FOREACH(p, &pools, entry)
		if (memcmp(&p->addr, addr, sizeof(*addr)) == 0 &&
		    strcmp(p->name, name) == 0 && p->cahash == h &&
		    p->calen == calen) {
			p->refs++;
			return p;
		}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->addr = *addr;
	strlcpy(p->name, name, sizeof(p->name));
	p->cahash = h;
	p->calen = calen;
	p->refs = 1;
	TAILQ_INIT(&p->conns);
	if ((p->cfg = tls_config_new()) == NULL)
		fatal("tls_config_new");
	if (calen == 0)
		strlcpy(p->caerr, "tls-ca: no certificates read",
		    sizeof(p->caerr));
	else if (tls_config_set_ca_mem(p->cfg, ca, calen) == -1)
		snprintf(p->caerr, sizeof(p->caerr), "tls-ca: %s",
		    tls_config_error(p->cfg));
	TAILQ_INSERT_TAIL(&pools, p, entry);
	return p;
}

/* A server no longer uses the pool: it goes once its connections do. */
void
dot_pool_put(struct dpool *p)
{
	struct dconn	*c;

	if (--p->refs > 0)
		return;
	TAILQ_FOREACH(c, &p->conns, entry)
		if (c->inflight == 0)
			dc_kill(c);
	dot_arm();
}

static void
dc_close_later(struct dconn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->nextclose = dot.close;
	dot.close = c;
	dot_arm();
}

/* Its events stop; it closes once no owner holds a query on it. */
static void
dc_kill(struct dconn *c)
{
	c->state = DC_DEAD;
	event_del(&c->rev);
	event_del(&c->wev);
	dc_close_later(c);
}

/*
 * No connection to the server could be set up: the pool is held back
 * for the back-off, and the reason logged when it is news.
 */
static void
pool_failed(struct dpool *p, const char *why, int istls)
{
	if (istls)
		p->stats.tls_failures++;
	else
		p->stats.failures++;
	p->backoff_ms = p->backoff_ms == 0 ? DOT_BACKOFF_MIN_MS :
	    p->backoff_ms * 2;
	if (p->backoff_ms > DOT_BACKOFF_MAX_MS)
		p->backoff_ms = DOT_BACKOFF_MAX_MS;
	p->retry_ms = now_ms() + p->backoff_ms;
	if (!p->failing || strcmp(p->lasterr, why) != 0)
		log_warnx("server %s (tls \"%s\"): %s",
		    sockunion_ntop(&p->addr), p->name, why);
	p->failing = 1;
	strlcpy(p->lasterr, why, sizeof(p->lasterr));
}

/* How a connection ends, for its pool and for its owners. */
enum dc_end {
	DC_SETUP,	/* connect: the pool backs off */
	DC_SETUP_TLS,	/* handshake: the same, a TLS failure */
	DC_FAILED,	/* a failure; its queries are not sent again */
	DC_BROKEN,	/* a failure; the queries may go on a new one */
	DC_CLOSED	/* by the server, cleanly: no failure (RFC 7766) */
};

/*
 * A connection ended: its owners hear why (each then gives its query
 * up with dot_cancel, or tries again on a new connection when the old
 * one was closed or broke under it: a server may close at any time, and
 * does not always say so).  The map is walked as it is now: an owner's
 * callback may give up other queries on the connection too.
 */
static void
dc_fail(struct dconn *c, int err, const char *why, enum dc_end how)
{
	struct dpool	*p = c->pool;
	char		 text[DOT_ERR_MAX];
	size_t		 i;
	int		 again = how == DC_BROKEN || how == DC_CLOSED;

	strlcpy(text, why, sizeof(text));
	if (how == DC_SETUP || how == DC_SETUP_TLS)
		pool_failed(p, text, how == DC_SETUP_TLS);
	else if (how != DC_CLOSED) {
		p->stats.failures++;
		strlcpy(p->lasterr, text, sizeof(p->lasterr));
	}
	dc_kill(c);
	for (i = 0; i < DOT_SLOTS; i++)
		if (c->map[i].used && c->map[i].owner != NULL)
			error_cb(c->map[i].owner, err, text, again);
}

static void
dc_want_write(struct dconn *c, int on)
{
	if (on)
		event_add(&c->wev, NULL);
	else
		event_del(&c->wev);
}

/* A new connection, connecting; NULL (errno set) when none opens. */
static struct dconn *
dc_open(struct dpool *p)
{
	struct dconn	*c;
	char		 text[DOT_ERR_MAX];
	int		 fd, err;
	size_t		 i;

	if ((fd = socket(p->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, &p->addr.sa, sockunion_len(&p->addr)) == -1 &&
	    errno != EINPROGRESS) {
		err = errno;
		close(fd);
		snprintf(text, sizeof(text), "connect: %s", strerror(err));
		pool_failed(p, text, 0);
		errno = err;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->pool = p;
	c->fd = fd;
	c->state = DC_CONNECT;
	c->born_ms = c->active_ms = now_ms();
	for (i = 0; i < DOT_SLOTS; i++)
		c->free[i] = i;
	event_set(&c->rev, fd, EV_READ | EV_PERSIST, dc_io, c);
	event_set(&c->wev, fd, EV_WRITE, dc_io, c);
	dc_want_write(c, 1);
	TAILQ_INSERT_TAIL(&p->conns, c, entry);
	p->stats.connections++;
	p->stats.open++;
	dot_tick_start();
	return c;
}

/*
 * The connection for the next query: the least busy; a new one while
 * each has DOT_BUSY ids taken and there is room (and no back-off).  One
 * with too many queries given up and never answered is left to drain.
 */
static struct dconn *
dot_pick(struct dpool *p)
{
	struct dconn	*c, *best = NULL;
	int		 live = 0;

	if (p->caerr[0] != '\0') {
		/* libtls would read the system's store: not in the sandbox */
		pool_failed(p, p->caerr, 1);
		errno = ECONNREFUSED;
		return NULL;
	}
	TAILQ_FOREACH(c, &p->conns, entry) {
		if (c->state == DC_DEAD || c->orphans >= DOT_ORPHANS_MAX)
			continue;
		live++;
		if (c->taken >= DOT_SLOTS)
			continue;
		if (best == NULL || c->taken < best->taken)
			best = c;
	}
	if ((best == NULL || best->taken >= DOT_BUSY) &&
	    live < DOT_CONNS && now_ms() >= p->retry_ms) {
		if ((c = dc_open(p)) != NULL || best == NULL)
			return c;	/* NULL: errno is dc_open's */
	}
	if (best != NULL)
		return best;
	/* held back after a failure: the server's; all full: ours */
	errno = live < DOT_CONNS ? ECONNREFUSED : ENOBUFS;
	return NULL;
}

/*
 * A query, length first, after what is queued.  The unwritten rest moves
 * to the front before the buffer grows: libtls sets
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, so a write waiting for POLLOUT
 * may go on from the new place.
 */
static void
dc_queue(struct dconn *c, const uint8_t *msg, size_t len, uint16_t id)
{
	uint8_t	*nout;
	size_t	 need;

	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		c->wrote_ms = now_ms();
	}
	need = c->outlen + 2 + len;
	if (need > c->outcap && c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
		need = c->outlen + 2 + len;
	}
	if (need > c->outcap) {
		if ((nout = realloc(c->out, need * 2)) == NULL)
			fatal("realloc");
		c->out = nout;
		c->outcap = need * 2;
	}
	put16(c->out + c->outlen, len);
	memcpy(c->out + c->outlen + 2, msg, len);
	put16(c->out + c->outlen + 2, id);
	c->outlen = need;
}

/*
 * Send 'msg' (a DNS message) for 'owner' to the pool's server: an id is
 * chosen and written into the copy that goes out, the connection and id
 * returned for the owner to give up with dot_cancel().  -1 (errno set)
 * when no connection takes it: ENOBUFS and the like are local shortages,
 * anything else the server's (dot_stats() tells why).
 */
int
dot_query(struct dpool *p, void *owner, const uint8_t *msg, size_t len,
    struct dconn **cp, uint16_t *idp)
{
	struct dconn	*c;
	uint16_t	 id;

	if (len < DNS_HEADER_SIZE || len > DNS_MAX_MSG)
		fatalx("an upstream query of %zu bytes", len);
	if ((c = dot_pick(p)) == NULL)
		return -1;
	id = c->free[c->freehead];
	c->freehead = (c->freehead + 1) % DOT_SLOTS;
	c->map[id].owner = owner;
	c->map[id].used = 1;
	c->inflight++;
	c->taken++;
	dc_queue(c, msg, len, id);
	if (c->state == DC_READY && !c->flushing) {
		c->flushing = 1;
		c->nextflush = dot.flush;
		dot.flush = c;
		dot_arm();
	}
	*cp = c;
	*idp = id;
	return 0;
}

/* An id free again, the last to be taken (a FIFO). */
static void
dc_id_free(struct dconn *c, uint16_t id)
{
	c->map[id].used = 0;
	c->map[id].answered = 0;
	c->map[id].owner = NULL;
	c->free[(c->freehead + DOT_SLOTS - c->taken) % DOT_SLOTS] = id;
	c->taken--;
}

/*
 * The owner is done with its query (answered, given up, moved on).  The
 * id of a query not answered stays taken while the server may answer.
 */
void
dot_cancel(struct dconn *c, uint16_t id)
{
	if (id >= DOT_SLOTS || !c->map[id].used || c->map[id].owner == NULL)
		fatalx("no upstream query %u on the connection", id);
	c->inflight--;
	if (c->map[id].answered || c->state == DC_DEAD)
		dc_id_free(c, id);
	else {
		c->map[id].owner = NULL;
		c->orphans++;
	}
	if (c->inflight > 0)
		return;
	c->waiting_ms = 0;	/* nothing to wait for */
	if (c->state == DC_DEAD)
		dc_close_later(c);
	else if (c->orphans >= DOT_ORPHANS_MAX)
		dc_kill(c);	/* drained */
}

/* What is queued, as far as the connection takes it; -1 when it failed. */
static int
dc_write(struct dconn *c)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = tls_write(c->tls, c->out + c->outoff, c->outlen -
		    c->outoff);
		if (n == TLS_WANT_POLLOUT) {
			dc_want_write(c, 1);
			return 0;
		}
		if (n == TLS_WANT_POLLIN)
			return 0;
		if (n == -1) {
			dc_fail(c, EIO, tls_error(c->tls), DC_BROKEN);
			return -1;
		}
		c->outoff += n;
		c->active_ms = c->wrote_ms = now_ms();
		if (c->waiting_ms == 0)
			c->waiting_ms = c->active_ms;
	}
	c->outoff = c->outlen = 0;
	dc_want_write(c, 0);
	return 0;
}

/* A message read: to the query of its id; -1 when the connection died. */
static int
dc_message(void *arg, uint8_t *msg, size_t len)
{
	struct dconn	*c = arg;
	struct dentry	*e;
	uint16_t	 id = get16(msg);

	if (id >= DOT_SLOTS || !(e = &c->map[id])->used) {
		/* no sign of life: a server may send anything */
		c->pool->stats.stray++;
		return 0;
	}
	c->waiting_ms = c->inflight > 0 ? now_ms() : 0;
	if (e->owner == NULL) {
		/* the answer to a query given up: its id is free now */
		c->pool->stats.stray++;
		c->orphans--;
		dc_id_free(c, id);
		return 0;
	}
	e->answered = 1;
	reply_cb(e->owner, msg, len);
	return c->state == DC_DEAD ? -1 : 0;
}

static int
dc_messages(struct dconn *c)
{
	switch (dotframe_take(c->in, &c->inlen, dc_message, c)) {
	case DOTFRAME_BROKEN:
		dc_fail(c, EPROTO, "a message shorter than a DNS header",
		    DC_FAILED);
		return -1;
	case DOTFRAME_STOPPED:
		return -1;
	case DOTFRAME_MORE:
		break;
	}
	return 0;
}

static void
dc_read(struct dconn *c)
{
	ssize_t	n;

	for (;;) {
		n = tls_read(c->tls, c->in + c->inlen, DOT_INBUF - c->inlen);
		if (n == TLS_WANT_POLLIN)
			return;
		if (n == TLS_WANT_POLLOUT) {
			dc_want_write(c, 1);
			return;
		}
		if (n == -1) {
			dc_fail(c, EIO, tls_error(c->tls), DC_BROKEN);
			return;
		}
		if (n == 0) {
			/* the server may close whenever it likes */
			dc_fail(c, ECONNRESET, "connection closed", DC_CLOSED);
			return;
		}
		c->inlen += n;
		c->active_ms = now_ms();
		qlog_hold();
		n = dc_messages(c);
		qlog_release();
		if (n == -1)
			return;
	}
}

/* Connected: the TLS session begins; -1 when it cannot. */
static int
dc_tls_start(struct dconn *c)
{
	struct dpool	*p = c->pool;
	int		 err = 0;
	socklen_t	 errlen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
		err = errno;
	if (err != 0) {
		dc_fail(c, err, strerror(err), DC_SETUP);
		return -1;
	}
	if ((c->tls = tls_client()) == NULL)
		fatal("tls_client");
	if (tls_configure(c->tls, p->cfg) == -1 ||
	    tls_connect_socket(c->tls, c->fd, p->name) == -1) {
		dc_fail(c, EPROTO, tls_error(c->tls), DC_SETUP_TLS);
		return -1;
	}
	if ((c->in = malloc(DOT_INBUF)) == NULL)
		fatal("malloc");
	c->state = DC_HANDSHAKE;
	dc_want_write(c, 0);
	event_add(&c->rev, NULL);
	return 0;
}

/* The handshake, as far as it goes: 1 when done, 0 to wait, -1 failed. */
static int
dc_handshake(struct dconn *c)
{
	struct dpool	*p = c->pool;
	char		 text[DOT_ERR_MAX];
	int		 rc;

	rc = tls_handshake(c->tls);
	if (rc == TLS_WANT_POLLOUT) {
		dc_want_write(c, 1);
		return 0;
	}
	if (rc == TLS_WANT_POLLIN) {
		dc_want_write(c, 0);
		return 0;
	}
	if (rc == -1) {
		snprintf(text, sizeof(text), "TLS handshake: %s",
		    tls_error(c->tls));
		dc_fail(c, EPROTO, text, DC_SETUP_TLS);
		return -1;
	}
	c->state = DC_READY;
	c->active_ms = c->wrote_ms = now_ms();
	p->backoff_ms = 0;
	p->retry_ms = 0;
	if (p->failing)
		log_info("server %s (tls \"%s\"): TLS connection up again",
		    sockunion_ntop(&p->addr), p->name);
	p->failing = 0;
	p->lasterr[0] = '\0';
	return 1;
}

static void
dc_io(int fd, short event, void *arg)
{
	struct dconn	*c = arg;

	(void)fd;
	(void)event;
	switch (c->state) {
	case DC_CONNECT:
		if (dc_tls_start(c) == -1)
			return;
		/* FALLTHROUGH */
	case DC_HANDSHAKE:
		if (dc_handshake(c) != 1)
			return;
		/* FALLTHROUGH */
	case DC_READY:
		if (dc_write(c) == -1)
			return;
		dc_read(c);
		return;
	case DC_DEAD:
		return;
	}
}

static void
dc_free(struct dconn *c)
{
	struct dpool	*p = c->pool;

	if (c->tls != NULL) {
		/* close_notify if it goes at once; no wait for it */
		(void)tls_close(c->tls);
		tls_free(c->tls);
	}
	event_del(&c->rev);
	event_del(&c->wev);
	close(c->fd);
	TAILQ_REMOVE(&p->conns, c, entry);
	p->stats.open--;
	free(c->in);
	free(c->out);
	free(c);
}

/*
 * The end of the pass: queries queued go out, one write a connection;
 * connections done with close, and pools no server uses once empty.
 */
static void
dot_pass(int fd, short event, void *arg)
{
	struct dconn	*c;
	struct dpool	*p, *np;

	(void)fd;
	(void)event;
	(void)arg;
	dot.armed = 0;
	while ((c = dot.flush) != NULL) {
		dot.flush = c->nextflush;
		c->flushing = 0;
		if (c->state == DC_READY)
			(void)dc_write(c);
	}
	while ((c = dot.close) != NULL) {
		dot.close = c->nextclose;
		c->closing = 0;
		/* an owner still holds a query: closed at its cancel */
		if (c->inflight == 0)
			dc_free(c);
	}
	TAILQ_FOREACH_SAFE(p, &pools, entry, np) {
		if (p->refs > 0)
			continue;
		TAILQ_FOREACH(c, &p->conns, entry)
			if (c->inflight == 0 && !c->closing)
				dc_kill(c);
		if (!TAILQ_EMPTY(&p->conns))
			continue;
		TAILQ_REMOVE(&pools, p, entry);
		tls_config_free(p->cfg);
		free(p);
	}
}

/* Timeouts: setting up, stalled, idle. */
static void
dot_tick(int fd, short event, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	struct dpool	*p;
	struct dconn	*c, *nc;
	int64_t		 now = now_ms();
	int		 any = 0;

	(void)fd;
	(void)event;
	(void)arg;
	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH_SAFE(c, &p->conns, entry, nc) {
			any = 1;
			if (c->state == DC_DEAD)
				continue;
			if (c->state != DC_READY &&
			    now - c->born_ms >= DOT_SETUP_MS)
				dc_fail(c, ETIMEDOUT, c->state == DC_CONNECT ?
				    "connect: timed out" :
				    "TLS handshake: timed out",
				    c->state == DC_CONNECT ? DC_SETUP :
				    DC_SETUP_TLS);
			else if (c->state == DC_READY && c->waiting_ms != 0 &&
			    c->inflight > 0 &&
			    now - c->waiting_ms >= DOT_STALL_MS)
				dc_fail(c, ETIMEDOUT, "no answer on the "
				    "connection", DC_FAILED);
			else if (c->state == DC_READY &&
			    c->outoff < c->outlen &&
			    now - c->wrote_ms >= DOT_STALL_MS)
				dc_fail(c, ETIMEDOUT, "the server reads no "
				    "query", DC_FAILED);
			else if (c->state == DC_READY && c->inflight == 0 &&
			    c->outlen == 0 && now - c->active_ms >= DOT_IDLE_MS)
				dc_kill(c);
		}
	dot.ticking = any;
	if (any)
		evtimer_add(&dot.tick, &tv);
}

void
dot_stats(const struct dpool *p, struct dot_stats *st)
{
	const struct dconn	*c;
	int			 ready = 0, setup = 0;

	*st = p->stats;
	TAILQ_FOREACH(c, &p->conns, entry) {
		if (c->state == DC_READY)
			ready++;
		else if (c->state != DC_DEAD)
			setup++;
	}
	st->state = ready > 0 ? "open" : setup > 0 ? "connecting" :
	    p->failing ? "failing" : "idle";
	st->lasterr = p->lasterr;
}
