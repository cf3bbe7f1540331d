/*
 * dnstap over Frame Streams, written by the frontend (client messages)
 * and the resolver (forwarder messages), each on a connection of its own
 * to the collector.
 *
 * The children cannot connect: their socket(2) is refused for AF_UNIX
 * and their chroot holds no path.  So a child asks the parent
 * (IMSG_DNSTAP_OPEN), which connects to the configured socket and
 * passes it (IMSG_DNSTAP_FD) without reading a byte of it; the child
 * then speaks the bidirectional handshake (READY, the collector's
 * ACCEPT with our content type, START) and writes data frames.  When
 * the collector goes away (end of file, an error, FINISH) the child asks
 * again after a back-off, so a restarted collector gets the stream back
 * by itself.
 *
 * Why not libfstrm: its writer either writes each frame whole (a
 * blocking contract, fstrm_rdwr's write "must perform the full write")
 * or runs an I/O thread of its own (fstrm_iothr), which would need
 * futex and clone in the seccomp filters and a second place that waits;
 * it also opens the socket by path, which the chroot forbids.  The
 * format is small: a length before each frame, and three control
 * frames.  Why not protobuf-c: the dnstap message is a dozen fields of
 * three wire types, encoded here into the queue without an allocation.
 *
 * Frames wait in one buffer of at most DNSTAP_QUEUE_MAX bytes and go
 * out with one write once DNSTAP_BATCH bytes have gathered, or
 * DNSTAP_LINGER_MS after the first: a write a pass woke the collector
 * thousands of times a second and cost cache hits a tenth of their
 * rate (b_dnstap).  A frame that finds the queue full, or no
 * connection, is dropped and counted: a slow or absent collector never
 * holds an answer back.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnstap.h"
#include "imsgev.h"
#include "log.h"
#include "metrics.h"
#include "qlog.h"
#include "wire.h"

#define DNSTAP_BACKOFF_MIN_MS	100
#define DNSTAP_BACKOFF_MAX_MS	5000
#define DNSTAP_HANDSHAKE_MS	5000
#define DNSTAP_FIELDS_MAX	512	/* a message's fields but its DNS one */
#define DNSTAP_IDENTITY_MAX	64
#define DNSTAP_BATCH		(64 * 1024)
#define DNSTAP_LINGER_MS	50
#define FSTRM_CONTENT_TYPE	1	/* a control frame's field */

enum dt_state {
	DT_OFF,			/* not configured for this process */
	DT_ASKED,		/* the parent is asked for a socket */
	DT_HANDSHAKE,		/* READY sent, waiting for ACCEPT */
	DT_RUNNING,		/* START sent: data frames go */
	DT_WAIT			/* the back-off before asking again */
};

static struct {
	struct imsgev	*parent;
	int		 forwarder;	/* we write forwarder messages */
	enum dt_state	 state;
	int		 stale;		/* the path changed while asked */
	char		 path[DNSTAP_PATH_MAX];
	int		 fd;
	struct event	 rev;
	struct event	 wev;
	struct event	 timer;
	struct event	 flush;
	int		 armed;
	int64_t		 offset_us;	/* monotonic to Unix time, this pass */
	uint8_t		*q;		/* frames, each after its length */
	size_t		 qlen;
	size_t		 qoff;		/* written up to here */
	size_t		 qhead;		/* the first frame not all written */
	uint64_t	 qframes;	/* data frames not all written */
	uint8_t		 in[FSTRM_CONTROL_MAX];
	size_t		 inlen;
	uint32_t	 backoff_ms;
	int		 failing;	/* a failure was logged */
	uint64_t	 sent;
	uint64_t	 dropped;
	uint64_t	 connects;
	char		 identity[DNSTAP_IDENTITY_MAX];
	size_t		 idlen;
} dt = { .fd = -1 };

static uint8_t	scratch[DNSTAP_FIELDS_MAX + DNS_MAX_MSG];

static void	dt_read(int, short, void *);
static void	dt_write(int, short, void *);
static void	dt_timer(int, short, void *);
static void	dt_flush(int, short, void *);

/*
 * 'parent' is the channel to ask for sockets on; 'forwarder' says which
 * messages this process writes.  Before the sandbox: the host name is
 * the stream's identity.
 */
void
dnstap_init(struct imsgev *parent, int forwarder)
{
	dt.parent = parent;
	dt.forwarder = forwarder;
	if (gethostname(dt.identity, sizeof(dt.identity)) == -1)
		dt.identity[0] = '\0';
	dt.identity[sizeof(dt.identity) - 1] = '\0';
	dt.idlen = strlen(dt.identity);
	evtimer_set(&dt.timer, dt_timer, NULL);
	evtimer_set(&dt.flush, dt_flush, NULL);
}

/* -- encoding: protobuf's varints, fixed32 and length-delimited fields */

static size_t
pb_varint(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	p[n++] = v;
	return n;
}

static size_t
pb_uint(uint8_t *p, uint32_t field, uint64_t v)
{
	size_t	n = pb_varint(p, field << 3);

	return n + pb_varint(p + n, v);
}

static size_t
pb_fixed32(uint8_t *p, uint32_t field, uint32_t v)
{
	size_t	n = pb_varint(p, field << 3 | 5);

	p[n] = v & 0xff;
	p[n + 1] = (v >> 8) & 0xff;
	p[n + 2] = (v >> 16) & 0xff;
	p[n + 3] = v >> 24;
	return n + 4;
}

static size_t
pb_bytes(uint8_t *p, uint32_t field, const void *data, size_t len)
{
	size_t	n = pb_varint(p, field << 3 | 2);

	n += pb_varint(p + n, len);
	memcpy(p + n, data, len);
	return n + len;
}

/* Message.query_address/response_address and their ports */
static size_t
pb_addr(uint8_t *p, uint32_t field, const union sockunion *su)
{
	size_t	n;

	if (su == NULL || (su->sa.sa_family != AF_INET &&
	    su->sa.sa_family != AF_INET6))
		return 0;
	if (su->sa.sa_family == AF_INET) {
		n = pb_bytes(p, field, &su->sin.sin_addr, 4);
		return n + pb_uint(p + n, field + 2, ntohs(su->sin.sin_port));
	}
	n = pb_bytes(p, field, &su->sin6.sin6_addr, 16);
	return n + pb_uint(p + n, field + 2, ntohs(su->sin6.sin6_port));
}

/* a time of qlog_now()'s clock, as Unix time: seconds, nanoseconds */
static size_t
pb_time(uint8_t *p, uint32_t field, uint64_t mono_us, int64_t offset_us)
{
	uint64_t	us = mono_us + offset_us;
	size_t		n = pb_uint(p, field, us / 1000000);

	return n + pb_fixed32(p + n, field + 1, (us % 1000000) * 1000);
}

/*
 * A Dnstap message (not yet framed) into 'buf': its length, or 0 when it
 * does not fit in 'cap'.  'offset_us' takes qlog_now()'s clock to Unix
 * time.
 */
size_t
dnstap_encode(uint8_t *buf, size_t cap, const struct dnstap_msg *m,
    int64_t offset_us)
{
	const union sockunion	*fam = m->query_addr != NULL &&
				    m->query_addr->sa.sa_family != 0 ?
				    m->query_addr : m->response_addr;
	static const char	 version[] = "vpndnsd " VPNDNSD_VERSION;
	size_t			 n = 0, len;
	uint32_t		 mfield;

	if (m->len > DNS_MAX_MSG)
		return 0;
	n += pb_uint(scratch + n, 1, m->type);
	if (fam != NULL && fam->sa.sa_family != 0)
		n += pb_uint(scratch + n, 2, fam->sa.sa_family == AF_INET ?
		    1 : 2);
	n += pb_uint(scratch + n, 3, m->proto);
	n += pb_addr(scratch + n, 4, m->query_addr);
	n += pb_addr(scratch + n, 5, m->response_addr);
	n += pb_time(scratch + n, 8, m->query_us, offset_us);
	/* query_message (10), or response_message (14) and its time (12) */
	mfield = 10;
	if (m->response_us != 0) {
		n += pb_time(scratch + n, 12, m->response_us, offset_us);
		mfield = 14;
	}
	n += pb_bytes(scratch + n, mfield, m->msg, m->len);
	len = n;
	/* Dnstap: identity, version, message, type MESSAGE */
	if (cap < 2 * 12 + dt.idlen + sizeof(version) + len)
		return 0;
	n = 0;
	if (dt.idlen > 0)
		n += pb_bytes(buf + n, 1, dt.identity, dt.idlen);
	n += pb_bytes(buf + n, 2, version, sizeof(version) - 1);
	n += pb_bytes(buf + n, 14, scratch, len);
	n += pb_uint(buf + n, 15, 1);
	return n;
}

/*
 * A Frame Streams control frame (READY and START carry our content
 * type): its length in 'buf', which has room for FSTRM_CONTROL_MAX.
 */
size_t
fstrm_control(uint8_t *buf, size_t cap, uint32_t type)
{
	size_t	ctlen = sizeof(DNSTAP_CONTENT_TYPE) - 1, n = 12;

	if (cap < 12 + 8 + ctlen)
		fatalx("fstrm_control: no room");
	put32(buf, 0);			/* the escape: not a data frame */
	put32(buf + 8, type);
	if (type == FSTRM_READY || type == FSTRM_START ||
	    type == FSTRM_ACCEPT) {
		put32(buf + 12, FSTRM_CONTENT_TYPE);
		put32(buf + 16, ctlen);
		memcpy(buf + 20, DNSTAP_CONTENT_TYPE, ctlen);
		n = 20 + ctlen;
	}
	put32(buf + 4, n - 8);
	return n;
}

/*
 * A control frame from the collector at the start of 'buf': the bytes
 * it takes (its type in *type, and *ours set when one of its content
 * types is ours), 0 when more must come, -1 when it is not a well-formed
 * control frame (a data frame: the collector sends none).
 */
ssize_t
fstrm_control_parse(const uint8_t *buf, size_t len, uint32_t *type,
    int *ours)
{
	size_t	flen, off, fl;

	*ours = 0;
	if (len < 4)
		return 0;
	if (get32(buf) != 0)
		return -1;
	if (len < 8)
		return 0;
	flen = get32(buf + 4);
	if (flen < 4 || flen > FSTRM_CONTROL_MAX - 8)
		return -1;
	if (len < 8 + flen)
		return 0;
	*type = get32(buf + 8);
	if (*type < FSTRM_ACCEPT || *type > FSTRM_FINISH)
		return -1;
	for (off = 12; off < 8 + flen; off += 8 + fl) {
		if (8 + flen - off < 8 || get32(buf + off) !=
		    FSTRM_CONTENT_TYPE)
			return -1;
		fl = get32(buf + off + 4);
		if (fl > 8 + flen - off - 8)
			return -1;
		if (fl == sizeof(DNSTAP_CONTENT_TYPE) - 1 &&
		    memcmp(buf + off + 8, DNSTAP_CONTENT_TYPE, fl) == 0)
			*ours = 1;
	}
	return 8 + flen;
}

/* -- the connection */

static void
dt_ask(void)
{
	if (imsgev_compose(dt.parent, IMSG_DNSTAP_OPEN, 0, -1, NULL, 0) ==
	    -1)
		fatal("parent channel");
	dt.state = DT_ASKED;
}

static void
dt_close(void)
{
	if (dt.fd != -1) {
		event_del(&dt.rev);
		event_del(&dt.wev);
		close(dt.fd);
		dt.fd = -1;
	}
	/* a frame half written cannot start a new stream */
	dt.dropped += dt.qframes;
	dt.qframes = dt.qlen = dt.qoff = dt.qhead = dt.inlen = 0;
	evtimer_del(&dt.timer);
}

static void
dt_timer_ms(uint32_t ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(&dt.timer, &tv);
}

/* No collector, or it went away: ask again after the back-off. */
static void
dt_retry(const char *why)
{
	if (!dt.failing)
		log_warnx("dnstap %s: %s; trying again", dt.path, why);
	dt.failing = 1;
	dt_close();
	dt.backoff_ms = dt.backoff_ms == 0 ? DNSTAP_BACKOFF_MIN_MS :
	    dt.backoff_ms * 2;
	if (dt.backoff_ms > DNSTAP_BACKOFF_MAX_MS)
		dt.backoff_ms = DNSTAP_BACKOFF_MAX_MS;
	dt.state = DT_WAIT;
	dt_timer_ms(dt.backoff_ms);
}

static void
dt_timer(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	if (dt.state == DT_WAIT)
		dt_ask();
	else if (dt.state == DT_HANDSHAKE)
		dt_retry("no handshake from the collector");
}

/*
 * The frames whose last byte went out are sent: walk our own lengths
 * from the first frame not all written up to 'qoff'.
 */
static void
dt_sent_upto(void)
{
	size_t	len;
	int	data;

	while (dt.qhead + 8 <= dt.qoff) {
		len = get32(dt.q + dt.qhead);
		/* a control frame: the escape (0), its length, its body */
		if ((data = len != 0))
			len += 4;
		else
			len = 8 + get32(dt.q + dt.qhead + 4);
		if (dt.qhead + len > dt.qoff)
			break;
		dt.qhead += len;
		if (data) {
			dt.sent++;
			dt.qframes--;
		}
	}
}

/* What is queued goes, as far as the socket takes it. */
static void
dt_send(void)
{
	ssize_t	n;

	while (dt.qoff < dt.qlen) {
		n = write(dt.fd, dt.q + dt.qoff, dt.qlen - dt.qoff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_add(&dt.wev, NULL);
			return;
		}
		if (n == -1) {
			dt_retry(strerror(errno));
			return;
		}
		dt.qoff += n;
		dt_sent_upto();
	}
	dt.qoff = dt.qlen = dt.qhead = 0;
	event_del(&dt.wev);
}

static void
dt_write(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	dt_send();
}

static void
dt_control(uint32_t type)
{
	dt.qlen += fstrm_control(dt.q + dt.qlen, DNSTAP_QUEUE_MAX - dt.qlen,
	    type);
	dt_send();
}

/* ACCEPT begins the stream; FINISH (or anything else) ends it. */
static void
dt_read(int fd, short event, void *arg)
{
	uint32_t	type;
	ssize_t		n;
	int		ours;

	(void)event;
	(void)arg;
	n = read(fd, dt.in + dt.inlen, sizeof(dt.in) - dt.inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		dt_retry(n == 0 ? "the collector closed the connection" :
		    strerror(errno));
		return;
	}
	dt.inlen += n;
	while ((n = fstrm_control_parse(dt.in, dt.inlen, &type, &ours)) > 0) {
		memmove(dt.in, dt.in + n, dt.inlen - n);
		dt.inlen -= n;
		if (type == FSTRM_FINISH) {
			dt_retry("the collector finished the stream");
			return;
		}
		if (type != FSTRM_ACCEPT || dt.state != DT_HANDSHAKE) {
			dt_retry("an unexpected control frame");
			return;
		}
		if (!ours) {
			dt_retry("the collector does not take "
			    DNSTAP_CONTENT_TYPE);
			return;
		}
		evtimer_del(&dt.timer);
		dt.state = DT_RUNNING;
		dt.connects++;
		dt.backoff_ms = 0;
		if (dt.failing || dt.connects == 1)
			log_info("dnstap %s: connected", dt.path);
		dt.failing = 0;
		dt_control(FSTRM_START);
	}
	if (n == -1)
		dt_retry("not a Frame Streams control frame");
}

/* IMSG_DNSTAP_FD: the parent's socket to the collector, or its errno. */
void
dnstap_socket(const struct imsg *imsg)
{
	int	err;

	if (imsg->len != sizeof(err))
		fatalx("bad IMSG_DNSTAP_FD");
	memcpy(&err, imsg->data, sizeof(err));
	if (dt.state != DT_ASKED || dt.stale) {
		/* turned off, or for a path no longer ours */
		if (imsg->fd != -1)
			close(imsg->fd);
		if (dt.state == DT_ASKED) {
			dt.stale = 0;
			dt_ask();
		}
		return;
	}
	if (imsg->fd == -1) {
		dt_retry(strerror(err));
		return;
	}
	if (fcntl(imsg->fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	dt.fd = imsg->fd;
	event_set(&dt.rev, dt.fd, EV_READ | EV_PERSIST, dt_read, NULL);
	event_set(&dt.wev, dt.fd, EV_WRITE, dt_write, NULL);
	if (event_add(&dt.rev, NULL) == -1)
		fatal("event_add");
	dt.state = DT_HANDSHAKE;
	dt_timer_ms(DNSTAP_HANDSHAKE_MS);
	dt_control(FSTRM_READY);
}

/* A reload: on, off, or another path (a new connection). */
void
dnstap_reconf(const struct reconf_main *m)
{
	int	want = m->dnstap[0] != '\0' &&
		    (dt.forwarder ? m->dnstap_forwarder : m->dnstap_client);

	if (!want) {
		dt_close();
		dt.state = DT_OFF;
		dt.stale = 0;
		return;
	}
	if (dt.state != DT_OFF && strcmp(dt.path, m->dnstap) == 0)
		return;
	/* the queue only for a process that writes */
	if (dt.q == NULL && (dt.q = malloc(DNSTAP_QUEUE_MAX)) == NULL)
		fatal("malloc");
	strlcpy(dt.path, m->dnstap, sizeof(dt.path));
	dt.failing = 0;
	dt.backoff_ms = 0;
	if (dt.state == DT_ASKED) {
		dt.stale = 1;
		return;
	}
	dt_close();
	dt_ask();
}

/* Configured for this process: messages are worth making. */
int
dnstap_wanted(void)
{
	return dt.state != DT_OFF;
}

static void
dt_flush(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	dt.armed = 0;
	if (dt.state == DT_RUNNING)
		dt_send();
}

/* A message: framed into the queue, out at the end of the pass. */
void
dnstap_log(const struct dnstap_msg *m)
{
	struct timespec	rt, mono;
	size_t		n;

	if (dt.state != DT_RUNNING) {
		if (dt.state != DT_OFF)
			dt.dropped++;
		return;
	}
	/* what a slow collector left unwritten moves to the front */
	if (dt.qhead > 0 && DNSTAP_QUEUE_MAX - dt.qlen < DNSTAP_QUEUE_MAX / 4) {
		memmove(dt.q, dt.q + dt.qhead, dt.qlen - dt.qhead);
		dt.qlen -= dt.qhead;
		dt.qoff -= dt.qhead;
		dt.qhead = 0;
	}
	/* the wall clock is read once a batch, not twice a message */
	if (!dt.armed) {
		struct timeval	tv = { 0, DNSTAP_LINGER_MS * 1000 };

		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		dt.offset_us = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000 +
		    (rt.tv_nsec - mono.tv_nsec) / 1000;
		dt.armed = 1;
		evtimer_add(&dt.flush, &tv);
	}
	if (DNSTAP_QUEUE_MAX - dt.qlen < 4 || (n = dnstap_encode(dt.q +
	    dt.qlen + 4, DNSTAP_QUEUE_MAX - dt.qlen - 4, m,
	    dt.offset_us)) == 0) {
		dt.dropped++;
		return;
	}
	put32(dt.q + dt.qlen, n);
	dt.qlen += 4 + n;
	dt.qframes++;
	/* a batch goes now, unless the socket is full: then its event */
	if (dt.qlen - dt.qoff >= DNSTAP_BATCH &&
	    !event_pending(&dt.wev, EV_WRITE, NULL))
		dt_send();
}

/* Each process its own family names: the client's, the forwarder's. */
void
dnstap_metrics(struct metrics *m)
{
	const char	*k = dt.forwarder ? "forwarder" : "client";
	char		 name[64], help[160];

	snprintf(name, sizeof(name), "vpndnsd_dnstap_%s_frames_total", k);
	snprintf(help, sizeof(help), "dnstap %s messages written to the "
	    "collector.", k);
	metric_help(m, name, "counter", help);
	metric_u64(m, name, "", dt.sent);
	snprintf(name, sizeof(name), "vpndnsd_dnstap_%s_dropped_total", k);
	snprintf(help, sizeof(help), "dnstap %s messages dropped: no "
	    "collector, or its queue full.", k);
	metric_help(m, name, "counter", help);
	metric_u64(m, name, "", dt.dropped);
	snprintf(name, sizeof(name), "vpndnsd_dnstap_%s_connected", k);
	snprintf(help, sizeof(help), "1 while the %s messages' stream to the "
	    "collector is up.", k);
	metric_help(m, name, "gauge", help);
	metric_u64(m, name, "", dt.state == DT_RUNNING);
	snprintf(name, sizeof(name), "vpndnsd_dnstap_%s_connects_total", k);
	snprintf(help, sizeof(help), "Streams of %s messages the collector "
	    "accepted.", k);
	metric_help(m, name, "counter", help);
	metric_u64(m, name, "", dt.connects);
}
