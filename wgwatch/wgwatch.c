/*
 * wgwatch: keeps the peer table of every presence source.  It schedules
 * the polls of the sources that are polled (WireGuard interfaces,
 * OpenVPN status files), parses what the parent relays with the source's
 * parser (wgwatch.h: a WireGuard netlink dump or UAPI reply, VICI
 * events, a status file), and tells the resolver what changed since the
 * last reading, and nothing when nothing did.  Unprivileged, chrooted,
 * under seccomp: what it parses comes from outside the daemon.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsgev.h"
#include "log.h"
#include "logrelay.h"
#include "metrics.h"
#include "sandbox.h"
#include "wgwatch.h"

/* A status file seen mid-rewrite is read again this soon. */
#define REREAD_MS		100
/* ... and this many readings without a whole one are a failure. */
#define INCOMPLETE_MAX		10

/* The parser of each format (enum src_format). */
static const struct parser *const parsers[SRC_FMTS] = {
	[SRC_FMT_UAPI] = &uapi_parser,
	[SRC_FMT_NETLINK] = &netlink_parser,
	[SRC_FMT_VICI] = &vici_parser,
	[SRC_FMT_STATUS] = &status_parser,
};

struct source {
	TAILQ_ENTRY(source)	 entry;
	char			 name[SRC_NAME_MAX];
	uint32_t		 kind;		/* enum src_kind */
	uint32_t		 interval;
	struct event		 timer;
	int			 polling;
	struct timespec		 started;
	int64_t			 asked;		/* the poll's Unix time */
	struct wgthresholds	 thresholds;
	int			 present;	/* still configured */
	enum src_format		 format;	/* NONE: not found */
	int			 error;		/* of the last reading */
	int			 known;		/* a reading has ended */
	int			 incomplete;	/* readings in a row */
	struct wgtable		 cur;		/* what the resolver knows */
	struct wgtable		 next;		/* the reading coming in */
	void			*state[SRC_FMTS];	/* the parsers' */
	enum src_format		 fed;		/* the parser 'next' is from */
	int			 spoilt;	/* the input did not parse */
	int			 resyncing;	/* asked for a new connection */
	struct source_stats	 stats;
};

static struct {
	struct imsgev			 parent;
	struct imsgev			 resolver;
	int				 resolver_up;
	TAILQ_HEAD(, source)		 sources;
} ww = { .sources = TAILQ_HEAD_INITIALIZER(ww.sources) };

static void	wgwatch_dispatch_parent(int, short, void *);
static void	wgwatch_dispatch_resolver(int, short, void *);
static void	wgwatch_tick(int, short, void *);

static void
wgwatch_sandbox(int trap)
{
	scmp_filter_ctx	ctx = sandbox_filter_new(log_procname(), trap);

	sandbox_deny_connect(ctx);
	sandbox_load(ctx);
}

void
wgwatch_main(int debug, int verbose, const char *user, const char *root)
{
	log_init(debug, LOG_DAEMON);
	log_procinit("wgwatch");
	logrelay_init(PARENT_CHANNEL_FD);
	log_setverbose(verbose);
	setproctitle("wgwatch");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	event_init();
	sandbox_drop(user, root);
	wgwatch_sandbox(verbose > 1);

	if (fcntl(PARENT_CHANNEL_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	imsgev_init(&ww.parent, PARENT_CHANNEL_FD, IMSGBUF_FDS_RECV,
	    CHANNEL_WMAX, wgwatch_dispatch_parent, NULL);
	logrelay_start(&ww.parent);
	event_dispatch();
	fatalx("event loop ended");
}

static struct source *
source_find(const char *name)
{
	struct source	*w;

	TAILQ_FOREACH(w, &ww.sources, entry)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

static void
source_ref(const struct source *w, struct source_ref *m)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->name, w->name, sizeof(m->name));
}

static void
to_resolver(uint16_t type, const void *data, size_t len)
{
	if (!ww.resolver_up ||
	    imsgev_compose(&ww.resolver, type, 0, -1, data, len) == -1)
		fatal("resolver channel");
}

static void
to_parent(uint16_t type, const struct source *w)
{
	struct source_ref	m;

	source_ref(w, &m);
	if (imsgev_compose(&ww.parent, type, 0, -1, &m, sizeof(m)) == -1)
		fatal("parent channel");
}

/* A transaction to the resolver, opened by its first peer. */
struct txn {
	const struct source	*w;
	const struct parser	*parser;
	size_t			 n;
};

/* wgtable_diff()'s callback */
static void
send_peer(const struct wgpeer *p, int gone, void *arg)
{
	struct txn		*tx = arg;
	const struct source	*w = tx->w;
	struct source_ref	 ref;
	struct peer_msg		 m;

	if (tx->n++ == 0) {
		source_ref(w, &ref);
		to_resolver(IMSG_PEERS_START, &ref, sizeof(ref));
	}
	memset(&m, 0, sizeof(m));
	strlcpy(m.source, w->name, sizeof(m.source));
	strlcpy(m.key, p->key, sizeof(m.key));
	if (!gone) {
		if (tx->parser->display != NULL)
			tx->parser->display(p->key, m.display,
			    sizeof(m.display));
		m.handshake = p->handshake;
		m.activity = p->told;
		m.session = tx->parser->session;
		m.connected = p->connected;
		m.keepalive = p->keepalive;
		m.naddrs = p->naddrs;
		memcpy(m.addrs, p->addrs, p->naddrs * sizeof(m.addrs[0]));
	}
	to_resolver(gone ? IMSG_PEER_GONE : IMSG_PEER, &m,
	    offsetof(struct peer_msg, addrs) +
	    m.naddrs * sizeof(m.addrs[0]));
}

/* Forget the source's peers, telling the resolver when it knew any. */
static void
source_lost(struct source *w)
{
	struct source_ref	m;

	if (w->cur.n > 0) {
		source_ref(w, &m);
		to_resolver(IMSG_SOURCE_GONE, &m, sizeof(m));
	}
	wgtable_clear(&w->cur);
	w->stats.peers = 0;
}

/*
 * A whole reading is in 'next', finished: what the resolver must hear
 * of from 'cur' (wgtable_diff) goes as one transaction, nothing at all
 * when nothing matters, and 'next' becomes 'cur'.
 */
static void
source_publish(struct source *w, const struct parser *parser)
{
	struct source_ref	 m;
	struct wgpoll		 poll = { w->asked, w->interval,
				    parser->session, &w->thresholds };
	struct txn		 tx = { w, parser, 0 };
	struct wgtable		 tmp;

	if (parser->session && wgtable_keep_ended(&w->cur, &w->next,
	    w->asked, parser->grace) == -1)
		log_warnx("%s: more than %d peers: the longest gone are "
		    "forgotten", w->name, SRC_MAX_PEERS);
	(void)wgtable_diff(&w->cur, &w->next, &poll, send_peer, &tx);
	if (tx.n > 0) {
		source_ref(w, &m);
		to_resolver(IMSG_PEERS_DONE, &m, sizeof(m));
		w->stats.changes += tx.n;
		log_debug("%s: %zu peer changes", w->name, tx.n);
	}
	/* the new table is the current one; the old one's memory is reused */
	tmp = w->cur;
	w->cur = w->next;
	w->next = tmp;
	wgtable_clear(&w->next);
	w->stats.peers = w->cur.n;
}

static const char *
format_name(enum src_format format)
{
	switch (format) {
	case SRC_FMT_UAPI:
		return "userspace, UAPI socket";
	case SRC_FMT_NETLINK:
		return "kernel, generic netlink";
	case SRC_FMT_VICI:
		return "strongSwan VICI";
	case SRC_FMT_STATUS:
		return "OpenVPN status file";
	default:
		return "not found";
	}
}

/*
 * Once per change of state, not once per reading.  A lost VICI
 * connection is the parent's to tell (it holds it).
 */
static void
log_state(struct source *w, enum src_format format, int error,
    const char *why)
{
	if (w->known && format == w->format && (error == 0) == (w->error == 0))
		return;
	if (error == 0)
		log_info("%s: found (%s)", w->name, format_name(format));
	else if (format == SRC_FMT_VICI && why == NULL)
		return;
	else if (format == SRC_FMT_NONE)
		log_warnx("%s: no such WireGuard interface: %s", w->name,
		    strerror(error));
	else
		log_warnx("%s: %s failed (%s): %s", w->name,
		    w->kind == SRC_IPSEC ? "reading" : "poll",
		    format_name(format), why != NULL ? why : strerror(error));
}

static uint64_t
usec_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000;
}

/* A reading's outcome: its state told, the peers forgotten on failure. */
static void
reading_end(struct source *w, enum src_format format, int error,
    const char *why)
{
	log_state(w, format, error, why);
	w->known = 1;
	w->format = error == 0 ? format : SRC_FMT_NONE;
	w->error = error;
	w->stats.error = error;
	w->stats.format = w->format;
	if (error != 0) {
		w->stats.failures++;
		source_lost(w);
	}
}

static void *
parser_state(struct source *w, enum src_format format)
{
	if (w->state[format] == NULL &&
	    (w->state[format] = calloc(1, parsers[format]->size)) == NULL)
		fatal("calloc");
	return w->state[format];
}

/* What came in so far is void: a new reply, a new connection. */
static void
reading_reset(struct source *w, enum src_format format)
{
	wgtable_clear(&w->next);
	if (format != SRC_FMT_NONE)
		parsers[format]->reset(parser_state(w, format));
	w->fed = format;
	w->spoilt = 0;
}

static void
schedule(struct source *w, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(&w->timer, &tv);
}

/*
 * The parser says whether the input so far is a reading: 1, publish
 * it; 0, the last one stands; -1, spoilt.
 */
static void
reading_take(struct source *w, enum src_format format)
{
	const struct parser	*p = parsers[format];
	void			*st = parser_state(w, format);
	const char		*why = NULL;
	int			 rc;

	rc = w->spoilt ? -1 : p->take(st, &w->next);
	if (rc == 1 && wgtable_finish(&w->next, p->session) == -1) {
		rc = -1;
		why = "a peer appears twice";
	} else if (rc == -1)
		why = p->err(st);
	if (rc == 0 && format == SRC_FMT_STATUS) {
		w->stats.incomplete++;
		if (++w->incomplete < INCOMPLETE_MAX) {
			/* caught mid-rewrite: again soon, not in a second */
			wgtable_clear(&w->next);
			evtimer_del(&w->timer);
			schedule(w, REREAD_MS);
			return;
		}
		rc = -1;
		why = p->err(st);
	}
	if (rc == 0)
		return;
	w->incomplete = 0;
	reading_end(w, format, rc == -1 ? EPROTO : 0, why);
	if (rc == 1)
		source_publish(w, p);
	if (format != SRC_FMT_VICI || rc == -1)
		reading_reset(w, format);
	/* an event stream that lost its footing is listed anew */
	if (rc == -1 && format == SRC_FMT_VICI) {
		log_warnx("%s: asking for a new connection and list",
		    w->name);
		to_parent(IMSG_SRC_POLL, w);
		w->resyncing = 1;
	}
}

/* A poll's reply ended, or a connection. */
static void
source_end(struct source *w, const struct src_end *e)
{
	if (w->polling) {
		w->polling = 0;
		w->stats.polls++;
		w->stats.last_usec = usec_since(&w->started);
		if (w->stats.last_usec > w->stats.max_usec)
			w->stats.max_usec = w->stats.last_usec;
	}
	if (e->error != 0 || e->format == SRC_FMT_NONE) {
		w->incomplete = 0;
		reading_end(w, e->format, e->error != 0 ? e->error : ENOENT,
		    NULL);
		reading_reset(w, SRC_FMT_NONE);
		return;
	}
	/* no data came (an empty file): the format's parser starts now */
	if (e->format != w->fed)
		reading_reset(w, e->format);
	reading_take(w, e->format);
}

static void
source_data(struct source *w, const struct src_data *dm, const uint8_t *data,
    size_t len)
{
	const struct parser	*p;

	if (dm->format == SRC_FMT_NONE || dm->format >= SRC_FMTS ||
	    (dm->format == SRC_FMT_VICI) != (w->kind == SRC_IPSEC) ||
	    (dm->format == SRC_FMT_STATUS) != (w->kind == SRC_OPENVPN))
		fatalx("%s: data of format %u", w->name, dm->format);
	p = parsers[dm->format];
	if (w->resyncing)
		return;		/* the connection it asked to replace */
	if (w->fed != dm->format)
		reading_reset(w, dm->format);
	if (!w->spoilt)
		w->spoilt = p->feed(parser_state(w, dm->format), &w->next,
		    data, len) == -1;
	/* events are read as they come, not at the end of a reply */
	if (dm->format == SRC_FMT_VICI) {
		w->stats.polls++;
		w->asked = time(NULL);
		reading_take(w, dm->format);
	}
}

static void
poll_start(struct source *w)
{
	reading_reset(w, w->fed);
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	w->asked = time(NULL);
	to_parent(IMSG_SRC_POLL, w);
	w->polling = 1;
}

/* A poll per interval; one still under way is not doubled. */
static void
wgwatch_tick(int fd, short event, void *arg)
{
	struct source	*w = arg;

	(void)fd;
	(void)event;
	if (!w->polling)
		poll_start(w);
	schedule(w, w->interval * 1000);
}

static void
source_free(struct source *w)
{
	int	f;

	evtimer_del(&w->timer);
	source_lost(w);
	wgtable_free(&w->cur);
	wgtable_free(&w->next);
	wgthresholds_free(&w->thresholds);
	for (f = 0; f < SRC_FMTS; f++) {
		if (w->state[f] != NULL && parsers[f]->release != NULL)
			parsers[f]->release(w->state[f]);
		free(w->state[f]);
	}
	TAILQ_REMOVE(&ww.sources, w, entry);
	free(w);
}

/* A peer's own threshold, after its source's IMSG_RECONF_SOURCE. */
static void
wgwatch_reconf_threshold(const struct imsg *imsg)
{
	struct threshold_msg	 m;
	struct source		*w;

	if (imsg->len != sizeof(m))
		fatalx("bad IMSG_RECONF_THRESHOLD");
	memcpy(&m, imsg->data, sizeof(m));
	if (memchr(m.source, '\0', sizeof(m.source)) == NULL ||
	    memchr(m.key, '\0', sizeof(m.key)) == NULL ||
	    m.threshold == 0 || (w = source_find(m.source)) == NULL ||
	    !w->present)
		fatalx("bad IMSG_RECONF_THRESHOLD");
	wgthresholds_add(&w->thresholds, m.key, m.threshold);
}

static void
wgwatch_reconf_source(const struct imsg *imsg)
{
	struct source_msg	 m;
	struct source		*w;

	if (imsg->len != sizeof(m))
		fatalx("bad IMSG_RECONF_SOURCE");
	memcpy(&m, imsg->data, sizeof(m));
	if (memchr(m.name, '\0', sizeof(m.name)) == NULL ||
	    m.kind >= SRC_KINDS || m.interval == 0 || m.threshold == 0)
		fatalx("bad IMSG_RECONF_SOURCE");
	/*
	 * A name that changed kind is another source: what it had goes
	 * (the reply of a poll under way still comes, as a failure).
	 */
	if ((w = source_find(m.name)) != NULL && w->kind != m.kind) {
		source_lost(w);
		reading_reset(w, SRC_FMT_NONE);
		w->kind = w->stats.kind = m.kind;
		w->known = 0;
		evtimer_del(&w->timer);
		if (m.kind != SRC_IPSEC)
			event_active(&w->timer, EV_TIMEOUT, 1);
	}
	if (w == NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			fatal("calloc");
		strlcpy(w->name, m.name, sizeof(w->name));
		strlcpy(w->stats.name, m.name, sizeof(w->stats.name));
		w->kind = m.kind;
		w->stats.kind = m.kind;
		evtimer_set(&w->timer, wgwatch_tick, w);
		TAILQ_INSERT_TAIL(&ww.sources, w, entry);
		/* a polled source: the first poll right away */
		if (m.kind != SRC_IPSEC)
			event_active(&w->timer, EV_TIMEOUT, 1);
	}
	w->interval = m.interval;
	wgthresholds_clear(&w->thresholds, m.threshold);
	w->present = 1;
}

static void
wgwatch_reconf(const struct imsg *imsg)
{
	struct source	*w, *next;

	switch (imsg->hdr.type) {
	case IMSG_RECONF_CONF:
		TAILQ_FOREACH(w, &ww.sources, entry)
			w->present = 0;
		break;
	case IMSG_RECONF_SOURCE:
		wgwatch_reconf_source(imsg);
		break;
	case IMSG_RECONF_THRESHOLD:
		wgwatch_reconf_threshold(imsg);
		break;
	case IMSG_RECONF_END:
		TAILQ_FOREACH_SAFE(w, &ww.sources, entry, next) {
			if (!w->present && !w->polling)
				source_free(w);
			else
				wgthresholds_finish(&w->thresholds);
		}
		break;
	}
}

/*
 * The source a message from the parent is about.  A poll's reply must
 * have been asked for; an event stream's data comes unasked.
 */
static struct source *
data_source(const struct imsg *imsg, size_t min, void *hdr, size_t len)
{
	char		 name[SRC_NAME_MAX];
	struct source	*w;

	if (imsg->len < min)
		fatalx("short source message %u", imsg->hdr.type);
	memcpy(hdr, imsg->data, len);
	memcpy(name, imsg->data, sizeof(name));
	if (memchr(name, '\0', sizeof(name)) == NULL)
		fatalx("source message with an unterminated name");
	if ((w = source_find(name)) == NULL ||
	    (w->kind != SRC_IPSEC && !w->polling))
		fatalx("a reply for %s, which was not polled", name);
	return w;
}

static void
wgwatch_source(const struct imsg *imsg)
{
	struct src_data		 dm;
	struct src_end		 de;
	struct source_ref	 ref;
	struct source		*w;

	switch (imsg->hdr.type) {
	case IMSG_SRC_DATA:
		w = data_source(imsg, sizeof(dm), &dm, sizeof(dm));
		source_data(w, &dm, imsg->data + sizeof(dm),
		    imsg->len - sizeof(dm));
		break;
	case IMSG_SRC_RESET:
		if (imsg->len != sizeof(ref))
			fatalx("bad IMSG_SRC_RESET");
		w = data_source(imsg, sizeof(ref), &ref, sizeof(ref));
		reading_reset(w, w->fed);
		w->resyncing = 0;
		break;
	case IMSG_SRC_END:
		if (imsg->len != sizeof(de))
			fatalx("bad IMSG_SRC_END");
		w = data_source(imsg, sizeof(de), &de, sizeof(de));
		if (de.format >= SRC_FMTS)
			fatalx("%s: an end of format %u", w->name, de.format);
		source_end(w, &de);
		if (!w->present)
			source_free(w);
		break;
	}
}

static void
wgwatch_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	int		 n, v;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		if (errno == 0)
			exit(0);	/* the parent is gone: so are we */
		fatal("parent channel");
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		if (imsg.fd != -1 && imsg.hdr.type != IMSG_SOCKET_PEER)
			fatalx("descriptor with message %u", imsg.hdr.type);
		switch (imsg.hdr.type) {
		case IMSG_SOCKET_PEER:
			if (imsg.fd == -1 || ww.resolver_up ||
			    imsg.len != sizeof(int) ||
			    *(const int *)imsg.data != PROC_RESOLVER)
				fatalx("bad IMSG_SOCKET_PEER");
			if (fcntl(imsg.fd, F_SETFL, O_NONBLOCK) == -1)
				fatal("fcntl");
			imsgev_init(&ww.resolver, imsg.fd, 0, CHANNEL_WMAX,
			    wgwatch_dispatch_resolver, NULL);
			ww.resolver_up = 1;
			break;
		case IMSG_RECONF_CONF:
		case IMSG_RECONF_SOURCE:
		case IMSG_RECONF_THRESHOLD:
		case IMSG_RECONF_END:
			wgwatch_reconf(&imsg);
			break;
		case IMSG_SRC_DATA:
		case IMSG_SRC_RESET:
		case IMSG_SRC_END:
			wgwatch_source(&imsg);
			break;
		case IMSG_CTL_LOG_VERBOSE:
			if (imsg.len != sizeof(v))
				fatalx("bad IMSG_CTL_LOG_VERBOSE");
			memcpy(&v, imsg.data, sizeof(v));
			log_setverbose(v);
			break;
		case IMSG_HEARTBEAT:
			imsgev_heartbeat(iev);
			break;
		default:
			fatalx("unexpected message %u from the parent",
			    imsg.hdr.type);
		}
	}
	if (n == -1)
		fatal("parent channel");
	imsgev_update(iev);
}

/* show status: each source's figures, then the end of the reply. */
static void
wgwatch_status(struct imsgev *iev, uint32_t peerid)
{
	struct source	*w;

	TAILQ_FOREACH(w, &ww.sources, entry)
		if (w->present && imsgev_compose(iev, IMSG_CTL_SOURCE_STATS,
		    peerid, -1, &w->stats, sizeof(w->stats)) == -1)
			fatal("resolver channel");
	if (imsgev_compose(iev, IMSG_CTL_END, peerid, -1, NULL, 0) == -1)
		fatal("resolver channel");
}

struct ctl_reply {
	struct imsgev	*iev;
	uint32_t	 peerid;
};

static int
wgwatch_metric_line(const char *line, void *arg)
{
	const struct ctl_reply	*r = arg;

	return imsgev_compose(r->iev, IMSG_CTL_TEXT, r->peerid, -1, line,
	    strlen(line) + 1);
}

/*
 * The i-th source of a kind for metric_table(), labelled by name: a
 * WireGuard one as its "interface", as it always was.
 */
static const struct source *
source_at(size_t i, uint32_t kind, char *labels, size_t len)
{
	struct source	*w;

	TAILQ_FOREACH(w, &ww.sources, entry)
		if (w->present && w->kind == kind && i-- == 0) {
			metric_label(labels, len, kind == SRC_WIREGUARD ?
			    "interface" : "source", w->name);
			return w;
		}
	return NULL;
}

static const void *
source_item(size_t i, char *labels, size_t len, void *arg)
{
	const struct source	*w = source_at(i, *(uint32_t *)arg, labels,
				    len);

	return w != NULL ? &w->stats : NULL;
}

/* One kind's families: vpndnsd_wireguard_..., vpndnsd_ipsec_... */
static void
kind_metrics(struct metrics *m, uint32_t kind)
{
	static const char	*fmts[SRC_FMTS] = { "none", "userspace",
				    "kernel", "vici", "status" };
	static const char	*what[SRC_KINDS] = {
		[SRC_WIREGUARD] = "interface answers, by how it is read",
		[SRC_IPSEC] = "connection to charon holds",
		[SRC_OPENVPN] = "status file reads",
	};
	struct metric_field	 f[] = {
		{ "polls_total", "counter", "Polls (IPsec: VICI reads).",
		    offsetof(struct source_stats, polls) },
		{ "poll_failures_total", "counter", "Failed polls or lost "
		    "connections: the source's peers were forgotten.",
		    offsetof(struct source_stats, failures) },
		{ "changes_total", "counter",
		    "Peer changes sent to the resolver.",
		    offsetof(struct source_stats, changes) },
	};
	char			 names[3][64], fam[64], help[96];
	char			 l[METRICS_LINE_MAX];
	const struct source	*w;
	size_t			 i;

	if (source_at(0, kind, l, sizeof(l)) == NULL)
		return;
	snprintf(fam, sizeof(fam), "vpndnsd_%s_up", src_kind_name(kind));
	snprintf(help, sizeof(help), "1 while the %s.", what[kind]);
	metric_help(m, fam, "gauge", help);
	for (i = 0; l[0] = '\0', (w = source_at(i, kind, l, sizeof(l))) !=
	    NULL; i++) {
		metric_label(l, sizeof(l), "kind", fmts[w->stats.format <
		    SRC_FMTS ? w->stats.format : 0]);
		metric_u64(m, fam, l, w->stats.format != SRC_FMT_NONE);
	}
	for (i = 0; i < 3; i++) {
		snprintf(names[i], sizeof(names[i]), "vpndnsd_%s_%s",
		    src_kind_name(kind), f[i].name);
		f[i].name = names[i];
	}
	metric_table(m, f, 3, source_item, &kind);
	if (kind == SRC_IPSEC)
		return;
	snprintf(fam, sizeof(fam), "vpndnsd_%s_poll_seconds",
	    src_kind_name(kind));
	metric_help(m, fam, "gauge",
	    "The last poll, from the request to the parsed reply.");
	for (i = 0; l[0] = '\0', (w = source_at(i, kind, l, sizeof(l))) !=
	    NULL; i++)
		metric_f(m, fam, l, w->stats.last_usec / 1e6);
	snprintf(fam, sizeof(fam), "vpndnsd_%s_poll_seconds_max",
	    src_kind_name(kind));
	metric_help(m, fam, "gauge", "The longest poll so far.");
	for (i = 0; l[0] = '\0', (w = source_at(i, kind, l, sizeof(l))) !=
	    NULL; i++)
		metric_f(m, fam, l, w->stats.max_usec / 1e6);
}

/* show metrics: the sources' figures, then the end of the reply. */
static void
wgwatch_metrics(struct imsgev *iev, uint32_t peerid)
{
	struct ctl_reply	 r = { iev, peerid };
	struct metrics		 m = { wgwatch_metric_line, &r, 0 };
	uint32_t		 kind;

	for (kind = 0; kind < SRC_KINDS; kind++)
		kind_metrics(&m, kind);
	if (imsgev_compose(iev, IMSG_CTL_END, peerid, -1, NULL, 0) == -1)
		fatal("resolver channel");
}

static void
wgwatch_dispatch_resolver(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	int		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		if (errno == 0)
			fatalx("the resolver closed its channel");
		fatal("resolver channel");
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		switch (imsg.hdr.type) {
		case IMSG_CTL_SHOW_STATUS:
			wgwatch_status(iev, imsg.hdr.peerid);
			break;
		case IMSG_CTL_SHOW_METRICS:
			wgwatch_metrics(iev, imsg.hdr.peerid);
			break;
		default:
			fatalx("unexpected message %u from the resolver",
			    imsg.hdr.type);
		}
	}
	if (n == -1)
		fatal("resolver channel");
	imsgev_update(iev);
}
