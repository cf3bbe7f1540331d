/*
 * wgwatch: keeps the peer table of every configured WireGuard interface.
 * It schedules the polls, parses what the parent relays (the kernel's
 * netlink dump or a userspace implementation's UAPI text), and tells the
 * resolver what changed since the last poll, and nothing when nothing
 * did.  Unprivileged, chrooted, under seccomp: the replies it parses
 * come from outside the daemon.
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

struct wgiface {
	TAILQ_ENTRY(wgiface)	 entry;
	char			 name[IFNAMSIZ];
	uint32_t		 interval;
	struct event		 timer;
	int			 polling;
	struct timespec		 started;
	int64_t			 asked;		/* the poll's Unix time */
	struct wgthresholds	 thresholds;
	int			 present;	/* still configured */
	enum wg_kind		 kind;		/* NONE: not found */
	int			 error;		/* of the last poll */
	int			 known;		/* a poll has ended */
	struct wgtable		 cur;		/* what the resolver knows */
	struct wgtable		 next;		/* the poll coming in */
	struct wguapi		 uapi;
	struct wgnl		 nl;
	int			 spoilt;	/* the reply did not parse */
	struct wgif_stats	 stats;
};

static struct {
	struct imsgev			 parent;
	struct imsgev			 resolver;
	int				 resolver_up;
	TAILQ_HEAD(, wgiface)		 ifaces;
} ww = { .ifaces = TAILQ_HEAD_INITIALIZER(ww.ifaces) };

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
	imsgev_init(&ww.parent, PARENT_CHANNEL_FD, IMSGBUF_FDS_RECV, CHANNEL_WMAX,
	    wgwatch_dispatch_parent, NULL);
	logrelay_start(&ww.parent);
	event_dispatch();
	fatalx("event loop ended");
}

static struct wgiface *
iface_find(const char *name)
{
	struct wgiface	*w;

	TAILQ_FOREACH(w, &ww.ifaces, entry)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

static void
iface_msg(const struct wgiface *w, struct wg_iface_msg *m)
{
	memset(m, 0, sizeof(*m));
	strlcpy(m->ifname, w->name, sizeof(m->ifname));
}

static void
to_resolver(uint16_t type, const void *data, size_t len)
{
	if (!ww.resolver_up ||
	    imsgev_compose(&ww.resolver, type, 0, -1, data, len) == -1)
		fatal("resolver channel");
}

/* A transaction to the resolver, opened by its first peer. */
struct txn {
	const struct wgiface	*w;
	size_t			 n;
};

/* wgtable_diff()'s callback */
static void
send_peer(const struct wgpeer *p, int gone, void *arg)
{
	struct txn		*tx = arg;
	const struct wgiface	*w = tx->w;
	struct wg_iface_msg	 im;
	struct wg_peer_msg	 m;

	if (tx->n++ == 0) {
		iface_msg(w, &im);
		to_resolver(IMSG_WG_PEERS_START, &im, sizeof(im));
	}
	memset(&m, 0, sizeof(m));
	strlcpy(m.ifname, w->name, sizeof(m.ifname));
	memcpy(m.key, p->key, sizeof(m.key));
	if (!gone) {
		m.handshake = p->handshake;
		m.activity = p->told;
		m.keepalive = p->keepalive;
		m.naddrs = p->naddrs;
		memcpy(m.addrs, p->addrs, p->naddrs * sizeof(m.addrs[0]));
	}
	to_resolver(gone ? IMSG_WG_PEER_GONE : IMSG_WG_PEER, &m,
	    offsetof(struct wg_peer_msg, addrs) +
	    m.naddrs * sizeof(m.addrs[0]));
}

/*
 * What the resolver must hear of from 'cur' to 'next' (wgtable_diff), as
 * one transaction; nothing at all when nothing matters.
 */
static void
send_changes(struct wgiface *w)
{
	struct wg_iface_msg	 m;
	struct wgpoll		 poll = { w->asked, w->interval,
				    &w->thresholds };
	struct txn		 tx = { w, 0 };

	(void)wgtable_diff(&w->cur, &w->next, &poll, send_peer, &tx);
	if (tx.n > 0) {
		iface_msg(w, &m);
		to_resolver(IMSG_WG_PEERS_DONE, &m, sizeof(m));
		w->stats.changes += tx.n;
		log_debug("%s: %zu peer changes", w->name, tx.n);
	}
}

/* Forget the interface's peers, telling the resolver when it knew any. */
static void
iface_lost(struct wgiface *w)
{
	struct wg_iface_msg	m;

	if (w->cur.n > 0) {
		iface_msg(w, &m);
		to_resolver(IMSG_WG_IFACE_GONE, &m, sizeof(m));
	}
	wgtable_clear(&w->cur);
}

static const char *
kind_name(enum wg_kind kind)
{
	switch (kind) {
	case WG_KIND_UAPI:
		return "userspace, UAPI socket";
	case WG_KIND_NETLINK:
		return "kernel, generic netlink";
	default:
		return "not found";
	}
}

/* Once per change of state, not once per poll. */
static void
log_state(struct wgiface *w, enum wg_kind kind, int error, const char *why)
{
	if (w->known && kind == w->kind && (error == 0) == (w->error == 0))
		return;
	if (error == 0)
		log_info("%s: found (%s)", w->name, kind_name(kind));
	else if (kind == WG_KIND_NONE)
		log_warnx("%s: no such WireGuard interface: %s", w->name,
		    strerror(error));
	else
		log_warnx("%s: poll failed (%s): %s", w->name, kind_name(kind),
		    why != NULL ? why : strerror(error));
}

static uint64_t
usec_since(const struct timespec *t0)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000;
}

static void
poll_end(struct wgiface *w, const struct wg_dump_end *e)
{
	const char	*why = NULL;
	int		 error = e->error;

	w->polling = 0;
	w->stats.polls++;
	w->stats.last_usec = usec_since(&w->started);
	if (w->stats.last_usec > w->stats.max_usec)
		w->stats.max_usec = w->stats.last_usec;
	if (error == 0 && w->spoilt) {
		error = EPROTO;
		why = e->kind == WG_KIND_UAPI ? w->uapi.err : w->nl.err;
	} else if (error == 0 && e->kind == WG_KIND_UAPI && !w->uapi.done) {
		error = EPROTO;
		why = "the reply was cut short";
	} else if (error == 0 && wgtable_finish(&w->next) == -1) {
		error = EPROTO;
		why = "a peer appears twice";
	}
	log_state(w, e->kind, error, why);
	w->known = 1;
	w->kind = error == 0 ? e->kind : WG_KIND_NONE;
	w->error = error;
	w->stats.error = error;
	w->stats.kind = w->kind;
	if (error != 0) {
		w->stats.failures++;
		iface_lost(w);
		return;
	}
	send_changes(w);
	/* the new table is the current one; the old one's memory is reused */
	{
		struct wgtable	tmp = w->cur;

		w->cur = w->next;
		w->next = tmp;
	}
	w->stats.peers = w->cur.n;
}

static void
poll_reset(struct wgiface *w)
{
	wgtable_clear(&w->next);
	wguapi_reset(&w->uapi);
	wgnl_reset(&w->nl);
	w->spoilt = 0;
}

static void
poll_data(struct wgiface *w, const struct wg_dump_msg *dm,
    const uint8_t *data, size_t len)
{
	if (w->spoilt)
		return;
	if (dm->kind == WG_KIND_UAPI)
		w->spoilt = wguapi_feed(&w->uapi, &w->next, data, len) == -1;
	else if (dm->kind == WG_KIND_NETLINK)
		w->spoilt = wgnl_feed(&w->nl, &w->next, data, len) == -1;
	else
		fatalx("dump of kind %u", dm->kind);
}

static void
poll_start(struct wgiface *w)
{
	struct wg_iface_msg	m;

	iface_msg(w, &m);
	poll_reset(w);
	clock_gettime(CLOCK_MONOTONIC, &w->started);
	w->asked = time(NULL);
	if (imsgev_compose(&ww.parent, IMSG_WG_POLL, 0, -1, &m, sizeof(m)) ==
	    -1)
		fatal("parent channel");
	w->polling = 1;
}

static void
schedule(struct wgiface *w)
{
	struct timeval	tv = { w->interval, 0 };

	evtimer_add(&w->timer, &tv);
}

/* A poll per interval; one still under way is not doubled. */
static void
wgwatch_tick(int fd, short event, void *arg)
{
	struct wgiface	*w = arg;

	(void)fd;
	(void)event;
	if (!w->polling)
		poll_start(w);
	schedule(w);
}

static void
iface_free(struct wgiface *w)
{
	evtimer_del(&w->timer);
	iface_lost(w);
	wgtable_free(&w->cur);
	wgtable_free(&w->next);
	wgthresholds_free(&w->thresholds);
	TAILQ_REMOVE(&ww.ifaces, w, entry);
	free(w);
}

/* A peer's own threshold, after its interface's IMSG_RECONF_WGIF. */
static void
wgwatch_reconf_threshold(const struct imsg *imsg)
{
	struct wg_threshold_msg	 m;
	struct wgiface		*w;

	if (imsg->len != sizeof(m))
		fatalx("bad IMSG_RECONF_WGTHRESHOLD");
	memcpy(&m, imsg->data, sizeof(m));
	if (memchr(m.ifname, '\0', sizeof(m.ifname)) == NULL ||
	    m.threshold == 0 || (w = iface_find(m.ifname)) == NULL ||
	    !w->present)
		fatalx("bad IMSG_RECONF_WGTHRESHOLD");
	wgthresholds_add(&w->thresholds, m.key, m.threshold);
}

static void
wgwatch_reconf(const struct imsg *imsg)
{
	struct wgif_msg	 m;
	struct wgiface	*w, *next;

	switch (imsg->hdr.type) {
	case IMSG_RECONF_CONF:
		TAILQ_FOREACH(w, &ww.ifaces, entry)
			w->present = 0;
		break;
	case IMSG_RECONF_WGIF:
		if (imsg->len != sizeof(m))
			fatalx("bad IMSG_RECONF_WGIF");
		memcpy(&m, imsg->data, sizeof(m));
		if (memchr(m.name, '\0', sizeof(m.name)) == NULL ||
		    m.interval == 0 || m.threshold == 0)
			fatalx("bad IMSG_RECONF_WGIF");
		if ((w = iface_find(m.name)) == NULL) {
			if ((w = calloc(1, sizeof(*w))) == NULL)
				fatal("calloc");
			strlcpy(w->name, m.name, sizeof(w->name));
			strlcpy(w->stats.ifname, m.name,
			    sizeof(w->stats.ifname));
			evtimer_set(&w->timer, wgwatch_tick, w);
			TAILQ_INSERT_TAIL(&ww.ifaces, w, entry);
			/* first poll right away */
			event_active(&w->timer, EV_TIMEOUT, 1);
		}
		w->interval = m.interval;
		wgthresholds_clear(&w->thresholds, m.threshold);
		w->present = 1;
		break;
	case IMSG_RECONF_WGTHRESHOLD:
		wgwatch_reconf_threshold(imsg);
		break;
	case IMSG_RECONF_END:
		TAILQ_FOREACH_SAFE(w, &ww.ifaces, entry, next) {
			if (!w->present && !w->polling)
				iface_free(w);
			else
				wgthresholds_finish(&w->thresholds);
		}
		break;
	}
}

static struct wgiface *
dump_iface(const struct imsg *imsg, size_t min, void *hdr, size_t len)
{
	char		 name[IFNAMSIZ];
	struct wgiface	*w;

	if (imsg->len < min)
		fatalx("short WireGuard dump message %u", imsg->hdr.type);
	memcpy(hdr, imsg->data, len);
	memcpy(name, imsg->data, sizeof(name));
	if (memchr(name, '\0', sizeof(name)) == NULL)
		fatalx("WireGuard dump message with an unterminated name");
	if ((w = iface_find(name)) == NULL || !w->polling)
		fatalx("WireGuard dump for %s, which was not polled", name);
	return w;
}

static void
wgwatch_dump(const struct imsg *imsg)
{
	struct wg_dump_msg	 dm;
	struct wg_dump_end	 de;
	struct wg_iface_msg	 im;
	struct wgiface		*w;

	switch (imsg->hdr.type) {
	case IMSG_WG_DUMP:
		w = dump_iface(imsg, sizeof(dm), &dm, sizeof(dm));
		poll_data(w, &dm, imsg->data + sizeof(dm),
		    imsg->len - sizeof(dm));
		break;
	case IMSG_WG_DUMP_RESET:
		w = dump_iface(imsg, sizeof(im), &im, sizeof(im));
		poll_reset(w);
		break;
	case IMSG_WG_DUMP_END:
		if (imsg->len != sizeof(de))
			fatalx("bad IMSG_WG_DUMP_END");
		w = dump_iface(imsg, sizeof(de), &de, sizeof(de));
		poll_end(w, &de);
		if (!w->present)
			iface_free(w);
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
		case IMSG_RECONF_WGIF:
		case IMSG_RECONF_WGTHRESHOLD:
		case IMSG_RECONF_END:
			wgwatch_reconf(&imsg);
			break;
		case IMSG_WG_DUMP:
		case IMSG_WG_DUMP_RESET:
		case IMSG_WG_DUMP_END:
			wgwatch_dump(&imsg);
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

/* show status: each interface's figures, then the end of the reply. */
static void
wgwatch_status(struct imsgev *iev, uint32_t peerid)
{
	struct wgiface	*w;

	TAILQ_FOREACH(w, &ww.ifaces, entry)
		if (imsgev_compose(iev, IMSG_CTL_WGIF_STATS, peerid, -1,
		    &w->stats, sizeof(w->stats)) == -1)
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

/* The i-th interface for metric_table(). */
static const struct wgiface *
iface_at(size_t i, char *labels, size_t len)
{
	struct wgiface	*w;

	TAILQ_FOREACH(w, &ww.ifaces, entry)
		if (i-- == 0) {
			metric_label(labels, len, "interface", w->name);
			return w;
		}
	return NULL;
}

static const void *
iface_item(size_t i, char *labels, size_t len, void *arg)
{
	const struct wgiface	*w = iface_at(i, labels, len);

	(void)arg;
	return w != NULL ? &w->stats : NULL;
}

/* show metrics: the polls' figures, then the end of the reply. */
static void
wgwatch_metrics(struct imsgev *iev, uint32_t peerid)
{
	static const struct metric_field f[] = {
		{ "vpndnsd_wireguard_polls_total", "counter",
		    "Polls of the interface.",
		    offsetof(struct wgif_stats, polls) },
		{ "vpndnsd_wireguard_poll_failures_total", "counter",
		    "Polls that failed: the interface's peers were forgotten.",
		    offsetof(struct wgif_stats, failures) },
		{ "vpndnsd_wireguard_changes_total", "counter",
		    "Peer changes sent to the resolver.",
		    offsetof(struct wgif_stats, changes) },
	};
	static const char	*kinds[] = { "none", "userspace", "kernel" };
	struct ctl_reply	 r = { iev, peerid };
	struct metrics		 m = { wgwatch_metric_line, &r, 0 };
	const struct wgiface	*w;
	char			 l[METRICS_LINE_MAX];
	size_t			 i;

	metric_help(&m, "vpndnsd_wireguard_up", "gauge",
	    "1 while the interface answers, by how it is read.");
	for (i = 0; l[0] = '\0', (w = iface_at(i, l, sizeof(l))) != NULL; i++) {
		metric_label(l, sizeof(l), "kind",
		    kinds[w->stats.kind < 3 ? w->stats.kind : 0]);
		metric_u64(&m, "vpndnsd_wireguard_up", l,
		    w->stats.kind != WG_KIND_NONE);
	}
	metric_table(&m, f, sizeof(f) / sizeof(f[0]), iface_item, NULL);
	metric_help(&m, "vpndnsd_wireguard_poll_seconds", "gauge",
	    "The last poll, from the request to the parsed reply.");
	for (i = 0; l[0] = '\0', (w = iface_at(i, l, sizeof(l))) != NULL; i++)
		metric_f(&m, "vpndnsd_wireguard_poll_seconds", l,
		    w->stats.last_usec / 1e6);
	metric_help(&m, "vpndnsd_wireguard_poll_seconds_max", "gauge",
	    "The longest poll so far.");
	for (i = 0; l[0] = '\0', (w = iface_at(i, l, sizeof(l))) != NULL; i++)
		metric_f(&m, "vpndnsd_wireguard_poll_seconds_max", l,
		    w->stats.max_usec / 1e6);
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
