/*
 * Dynamic updates out (RFC 2136): the presence records of a domain, sent
 * to the primary that holds the zone, so that an operator can put peers'
 * names into the zone the company already runs.
 *
 * Each serial change of the domain (xfr.c's snapshots) becomes its
 * removals and additions, in order, queued for each primary and sent over
 * TCP a message at a time, signed when there is a key.  Anything but
 * NOERROR, no answer within UPDATE_TIMEOUT, or a queue longer than the
 * zone itself, and the queue is dropped for a full resync: the A and AAAA
 * RRsets of every presence name the configuration can give the domain are
 * deleted, then its records added.  A resync also follows every reload
 * and is retried, with a growing pause, until the primary takes it.
 *
 * A primary can also lose our records without an update failing: a
 * restart from its zone file alone.  Every UPDATE_PROBE seconds it is
 * asked for the zone's SOA; a serial that went back, or an answer after
 * two that never came, means a resync.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "imsg.h"
#include "dname.h"
#include "log.h"
#include "metrics.h"
#include "qlog.h"
#include "resolver.h"
#include "wire.h"

#define UPDATE_MSG_MAX		32768	/* records' bytes in one message */
#define UPDATE_TIMEOUT		5	/* seconds for an answer */
#define UPDATE_BACKOFF_MAX	60
#define UPDATE_OPS_MIN		4096	/* queued, or the zone's size */
#define UPDATE_PROBE		5	/* seconds between SOA queries */
#define PROBE_MISSES		2	/* unanswered in a row: it was away */

enum uop_kind {
	UOP_ADD,
	UOP_DEL,	/* that record */
	UOP_DELNAME	/* every A and AAAA (PTR) at its owner name */
};

struct uop {
	uint32_t	kind;
	uint32_t	glued;		/* in the message of the op before */
	struct prec	rec;
};

/* A primary's figures, for the metrics. */
struct update_stats {
	uint64_t	messages;	/* taken by the primary */
	uint64_t	failures;
	uint64_t	resyncs;
	uint64_t	queued;		/* records waiting */
};

struct utarget {
	struct update_conf	 conf;
	struct update_stats	 stats;
	uint8_t			 apex[DNS_MAX_NAME];
	size_t			 apexlen;
	struct uop		*ops;
	size_t			 nops, capops;
	size_t			 sent;		/* ops in the message out */
	int			 dirty;		/* a full resync is owed */
	struct bufferevent	*bev;
	struct event		 timer;		/* deadline, or pause */
	unsigned int		 backoff;
	uint16_t		 id;
	ldns_rdf		*mac;		/* for the answer to ours */
	int			 probefd;	/* SOA queries, connected UDP */
	struct event		 probeev;
	struct event		 probetimer;
	uint16_t		 probeid;
	ldns_rdf		*probe_mac;	/* its TSIG's, when signed */
	uint64_t		 probe_us;	/* when the last query went */
	int			 probed;	/* and was answered */
	int			 misses;	/* unanswered in a row */
	uint32_t		 serial;	/* the primary's, last seen */
	int			 have_serial;
};

static struct {
	struct utarget		 t[UPDATE_MAX];
	size_t			 n;
	struct utarget		 nt[UPDATE_MAX];	/* being received */
	size_t			 nn;
	const struct presence	*pr;
} upd;

static void	update_kick(struct utarget *);
static void	update_taken(struct utarget *);
static void	probe_send(struct utarget *);

static void
target_close(struct utarget *t)
{
	if (t->bev != NULL)
		bufferevent_free(t->bev);
	t->bev = NULL;
	ldns_rdf_deep_free(t->mac);
	t->mac = NULL;
	evtimer_del(&t->timer);
}

static void
target_fail(struct utarget *t, const char *why)
{
	static long long	last;
	struct timeval		tv;

	t->stats.failures++;
	t->backoff = t->backoff == 0 ? 1 : t->backoff * 2;
	if (t->backoff > UPDATE_BACKOFF_MAX)
		t->backoff = UPDATE_BACKOFF_MAX;
	if (log_ratelimit(&last))
		log_warnx("update to %s zone %s: %s; a full resync in %u s",
		    sockunion_ntop(&t->conf.addr), t->conf.zone, why,
		    t->backoff);
	target_close(t);
	t->sent = t->nops = 0;
	t->dirty = 1;
	tv.tv_sec = t->backoff;
	tv.tv_usec = 0;
	evtimer_add(&t->timer, &tv);
}

static void
ops_push(struct utarget *t, uint32_t kind, uint32_t glued,
    const struct prec *rec)
{
	if (t->nops == t->capops) {
		t->capops = t->capops ? t->capops * 2 : 256;
		if ((t->ops = reallocarray(t->ops, t->capops,
		    sizeof(*t->ops))) == NULL)
			fatal("reallocarray");
	}
	t->ops[t->nops].kind = kind;
	t->ops[t->nops].glued = glued;
	t->ops[t->nops++].rec = *rec;
}

/* Two records at the same owner name (a PTR's is its address). */
static int
owner_cmp(const void *va, const void *vb)
{
	const struct prec	*a = va, *b = vb;

	if (a->kind == PREC_PTR || b->kind == PREC_PTR)
		return a->kind != b->kind ? a->kind - b->kind :
		    memcmp(&a->addr, &b->addr, sizeof(a->addr));
	return memcmp(a, b, offsetof(struct prec, pad));
}

/*
 * The resync: each name's A and AAAA (PTR) RRsets go and what answers
 * there now comes, in one message (the primary applies a message
 * whole): no name is ever missing at the primary on the way.
 */
static void
ops_resync(struct utarget *t)
{
	struct precs		 names = { NULL, 0, 0 }, recs = { NULL, 0, 0 };
	size_t			 i, k = 0;

	t->nops = t->sent = 0;
	t->stats.resyncs++;
	presence_owners(upd.pr, t->apex, t->apexlen, &names);
	/*
	 * What answers now: a change not yet in a serial comes again as an
	 * update, which the primary takes as the no-op it then is.
	 */
	presence_records(upd.pr, t->apex, t->apexlen, time(NULL), &recs);
	if (names.n > 0)
		qsort(names.v, names.n, sizeof(names.v[0]), owner_cmp);
	if (recs.n > 0)
		qsort(recs.v, recs.n, sizeof(recs.v[0]), owner_cmp);
	for (i = 0; i < names.n; i++) {
		while (k < recs.n && owner_cmp(&recs.v[k], &names.v[i]) < 0)
			ops_push(t, UOP_ADD, 0, &recs.v[k++]);
		ops_push(t, UOP_DELNAME, 0, &names.v[i]);
		while (k < recs.n && owner_cmp(&recs.v[k], &names.v[i]) == 0)
			ops_push(t, UOP_ADD, 1, &recs.v[k++]);
	}
	while (k < recs.n)
		ops_push(t, UOP_ADD, 0, &recs.v[k++]);
	free(names.v);
	free(recs.v);
	t->dirty = 0;
}

/* An op as update records: class NONE deletes one, ANY a whole RRset. */
static size_t
op_rrs(const struct utarget *t, const struct uop *op, ldns_pkt *pkt)
{
	static const ldns_rr_type	types[2] = { LDNS_RR_TYPE_A,
					    LDNS_RR_TYPE_AAAA };
	struct prec			 rec = op->rec;
	ldns_rr				*rr;
	size_t				 k, n = 1, size = 0;

	if (op->kind == UOP_DELNAME && rec.kind != PREC_PTR) {
		rec.addr.af = AF_INET;	/* an address to build the owner */
		n = 2;			/* and both types go */
	}
	for (k = 0; k < n; k++) {
		if ((rr = presence_rr(upd.pr, t->apex, t->apexlen, &rec)) ==
		    NULL)
			return 0;
		if (op->kind == UOP_DELNAME) {
			ldns_rdf_deep_free(ldns_rr_pop_rdf(rr));
			if (n == 2)
				ldns_rr_set_type(rr, types[k]);
			ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
			ldns_rr_set_ttl(rr, 0);
		} else if (op->kind == UOP_DEL) {
			ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
			ldns_rr_set_ttl(rr, 0);
		}
		size += ldns_rr_uncompressed_size(rr);
		if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr))
			fatal("ldns_pkt_push_rr");
	}
	return size;
}

/* The next message: as many queued ops as fit, signed. */
static uint8_t *
update_message(struct utarget *t, size_t *len)
{
	ldns_rr_list	*none;
	ldns_pkt	*pkt;
	ldns_rdf	*zone;
	uint8_t		*wire;
	size_t		 size = 0;

	/* ldns wants lists, if empty, and copies them */
	if ((none = ldns_rr_list_new()) == NULL ||
	    ldns_str2rdf_dname(&zone, t->conf.zone) != LDNS_STATUS_OK ||
	    (pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, none, none,
	    NULL)) == NULL)
		fatalx("an update of zone %s", t->conf.zone);
	ldns_rr_list_free(none);
	t->id = arc4random();
	ldns_pkt_set_id(pkt, t->id);
	ldns_pkt_set_rd(pkt, 0);	/* RFC 2136 2.2: zero */
	for (t->sent = 0; t->sent < t->nops && (size < UPDATE_MSG_MAX ||
	    t->ops[t->sent].glued); t->sent++)
		size += op_rrs(t, &t->ops[t->sent], pkt);
	if (t->conf.key.name[0] != '\0')
		t->mac = tsig_sign(pkt, &t->conf.key, NULL, 0);
	if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK ||
	    *len > DNS_MAX_MSG)
		fatalx("an update message of %zu bytes", *len);
	ldns_pkt_free(pkt);
	return wire;
}

/* The primary's answer to the message out: NOERROR, ours, signed. */
static const char *
update_check(struct utarget *t, uint8_t *wire, size_t len)
{
	static char	 why[64];
	ldns_pkt	*pkt;
	int		 rcode;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return "a malformed answer";
	rcode = ldns_pkt_get_rcode(pkt);
	if (ldns_pkt_id(pkt) != t->id || !ldns_pkt_qr(pkt) ||
	    ldns_pkt_get_opcode(pkt) != LDNS_PACKET_UPDATE)
		strlcpy(why, "an answer to another message", sizeof(why));
	else if (!tsig_answer_ok(pkt, wire, len, &t->conf.key, t->mac))
		strlcpy(why, "an answer without our TSIG", sizeof(why));
	else if (rcode != LDNS_RCODE_NOERROR)
		snprintf(why, sizeof(why), "%s",
		    ldns_lookup_by_id(ldns_rcodes, rcode) != NULL ?
		    ldns_lookup_by_id(ldns_rcodes, rcode)->name : "an error");
	else
		why[0] = '\0';
	ldns_pkt_free(pkt);
	return why[0] != '\0' ? why : NULL;
}

static void
update_readcb(struct bufferevent *bev, void *arg)
{
	struct utarget	*t = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	uint8_t		 lenbuf[2], *wire;
	const char	*why;
	size_t		 len;

	/* an answer at a time; the next message goes out after each */
	while (t->bev != NULL && evbuffer_copyout(in, lenbuf, 2) == 2) {
		len = get16(lenbuf);
		if (evbuffer_get_length(in) < 2 + len)
			return;
		if (t->sent == 0) {
			target_fail(t, "an answer to no message");
			return;
		}
		evbuffer_drain(in, 2);
		if ((wire = malloc(len ? len : 1)) == NULL)
			fatal("malloc");
		evbuffer_remove(in, wire, len);
		why = update_check(t, wire, len);
		free(wire);
		if (why != NULL) {
			target_fail(t, why);
			return;
		}
		update_taken(t);
	}
}

/* The primary took the message out: its ops are done. */
static void
update_taken(struct utarget *t)
{
	t->stats.messages++;
	memmove(t->ops, t->ops + t->sent, (t->nops - t->sent) *
	    sizeof(*t->ops));
	t->nops -= t->sent;
	t->sent = 0;
	ldns_rdf_deep_free(t->mac);
	t->mac = NULL;
	evtimer_del(&t->timer);
	if (t->nops == 0 && !t->dirty) {
		t->backoff = 0;	/* all of it taken, not a part */
		probe_send(t);	/* the serial our changes made */
	}
	update_kick(t);
}

static void
update_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct utarget	*t = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (t->sent > 0)
		target_fail(t, what & BEV_EVENT_EOF ? "the connection closed" :
		    "the connection failed");
	else
		target_close(t);	/* the primary closed an idle one */
}

/* The deadline of the message out, or the end of a pause. */
static void
update_timer(int fd, short event, void *arg)
{
	struct utarget	*t = arg;

	(void)fd;
	(void)event;
	if (t->sent > 0)
		target_fail(t, "no answer");
	else
		update_kick(t);
}

static void
update_kick(struct utarget *t)
{
	struct timeval	 tv = { UPDATE_TIMEOUT, 0 };
	uint8_t		 lenbuf[2], *wire;
	size_t		 len;

	if (t->sent > 0 || evtimer_pending(&t->timer, NULL))
		return;		/* a message out, or a pause after failing */
	if (t->dirty)
		ops_resync(t);
	if (t->nops == 0)
		return;
	if (t->bev == NULL) {
		if ((t->bev = bufferevent_socket_new(NULL, -1,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			fatal("bufferevent_socket_new");
		bufferevent_setcb(t->bev, update_readcb, NULL, update_eventcb,
		    t);
		if (bufferevent_socket_connect(t->bev, &t->conf.addr.sa,
		    t->conf.addr.sa.sa_family == AF_INET ?
		    sizeof(t->conf.addr.sin) : sizeof(t->conf.addr.sin6)) ==
		    -1) {
			target_fail(t, "cannot connect");
			return;
		}
		bufferevent_enable(t->bev, EV_READ);
	}
	wire = update_message(t, &len);
	lenbuf[0] = len >> 8;
	lenbuf[1] = len & 0xff;
	if (bufferevent_write(t->bev, lenbuf, 2) == -1 ||
	    bufferevent_write(t->bev, wire, len) == -1)
		fatalx("bufferevent_write");
	free(wire);
	evtimer_add(&t->timer, &tv);
}

static void
resync_because(struct utarget *t, const char *why)
{
	log_info("update to %s zone %s: %s: a full resync",
	    sockunion_ntop(&t->conf.addr), t->conf.zone, why);
	if (t->sent == 0)
		t->nops = 0;
	t->dirty = 1;
	update_kick(t);
}

static void
probe_read(int fd, short event, void *arg)
{
	struct utarget	*t = arg;
	uint8_t		 buf[1500];
	ldns_pkt	*pkt;
	ldns_rr		*soa;
	ssize_t		 n;
	uint32_t	 serial;

	(void)event;
	if ((n = recv(fd, buf, sizeof(buf), 0)) < DNS_HEADER_SIZE ||
	    get16(buf) != t->probeid ||
	    ldns_wire2pkt(&pkt, buf, n) != LDNS_STATUS_OK)
		return;
	soa = ldns_rr_list_rr(ldns_pkt_answer(pkt), 0);
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || soa == NULL ||
	    ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_rd_count(soa) < 3) {
		ldns_pkt_free(pkt);
		return;
	}
	serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	if (!tsig_answer_ok(pkt, buf, n, &t->conf.key, t->probe_mac)) {
		ldns_pkt_free(pkt);
		return;		/* not the primary's word */
	}
	ldns_pkt_free(pkt);
	t->probed = 1;
	if (t->misses >= PROBE_MISSES)
		resync_because(t, "the primary answers again");
	else if (t->have_serial && serial_newer(t->serial, serial))
		resync_because(t, "the primary's serial went back");
	t->misses = 0;
	t->serial = serial;
	t->have_serial = 1;
}

/* An SOA query; its answer is the serial to compare the next with. */
static void
probe_send(struct utarget *t)
{
	ldns_pkt	*q;
	uint8_t		*wire;
	size_t		 len;

	if (t->probefd == -1)
		return;
	t->probed = 0;
	t->probe_us = qlog_now();
	t->probeid = arc4random_uniform(65535) + 1;
	if (ldns_pkt_query_new_frm_str(&q, t->conf.zone, LDNS_RR_TYPE_SOA,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		fatalx("an SOA query for %s", t->conf.zone);
	ldns_pkt_set_id(q, t->probeid);
	ldns_rdf_deep_free(t->probe_mac);
	t->probe_mac = NULL;
	if (t->conf.key.name[0] != '\0')
		t->probe_mac = tsig_sign(q, &t->conf.key, NULL, 0);
	if (ldns_pkt2wire(&wire, q, &len) != LDNS_STATUS_OK)
		fatalx("ldns_pkt2wire");
	(void)send(t->probefd, wire, len, 0);	/* unanswered is "lost" */
	free(wire);
	ldns_pkt_free(q);
}

/* Every UPDATE_PROBE seconds: was the last SOA query answered?  Again. */
static void
probe_timer(int fd, short event, void *arg)
{
	struct utarget	*t = arg;
	struct timeval	 tv = { UPDATE_PROBE, 0 };

	(void)fd;
	(void)event;
	/* a query out for a second or more is lost, one sent since is not */
	if (!t->probed && t->probeid != 0 && qlog_now() - t->probe_us >=
	    1000000)
		t->misses++;
	probe_send(t);
	evtimer_add(&t->probetimer, &tv);
}

static void
probe_start(struct utarget *t)
{
	struct timeval	tv = { UPDATE_PROBE, 0 };

	if ((t->probefd = socket(t->conf.addr.sa.sa_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(t->probefd, &t->conf.addr.sa,
	    t->conf.addr.sa.sa_family == AF_INET ? sizeof(t->conf.addr.sin) :
	    sizeof(t->conf.addr.sin6)) == -1) {
		log_warn("update to %s: SOA queries",
		    sockunion_ntop(&t->conf.addr));
		if (t->probefd != -1)
			close(t->probefd);
		t->probefd = -1;
		return;
	}
	event_set(&t->probeev, t->probefd, EV_READ | EV_PERSIST, probe_read,
	    t);
	if (event_add(&t->probeev, NULL) == -1)
		fatal("event_add");
	evtimer_set(&t->probetimer, probe_timer, t);
	evtimer_add(&t->probetimer, &tv);
	probe_send(t);		/* the serial before our first update */
}

static void
probe_stop(struct utarget *t)
{
	if (t->probefd == -1)
		return;
	event_del(&t->probeev);
	evtimer_del(&t->probetimer);
	close(t->probefd);
	t->probefd = -1;
	ldns_rdf_deep_free(t->probe_mac);
	t->probe_mac = NULL;
}

/* A reload: the new targets, each owed a resync. */
void
update_reconf(const struct imsg *imsg)
{
	struct utarget	*t;
	struct dname	 apex;
	char		 err[256];

	if (imsg->len != sizeof(t->conf) || upd.nn == UPDATE_MAX)
		fatalx("bad IMSG_RECONF_UPDATE");
	t = &upd.nt[upd.nn];
	memset(t, 0, sizeof(*t));
	memcpy(&t->conf, imsg->data, sizeof(t->conf));
	t->conf.zone[sizeof(t->conf.zone) - 1] = '\0';
	t->conf.key.name[sizeof(t->conf.key.name) - 1] = '\0';
	t->conf.key.algorithm[sizeof(t->conf.key.algorithm) - 1] = '\0';
	t->conf.key.secret[sizeof(t->conf.key.secret) - 1] = '\0';
	if (dname_parse(t->conf.zone, &apex, err, sizeof(err)) == -1 ||
	    apex.len > sizeof(t->apex))
		fatalx("IMSG_RECONF_UPDATE: zone %s", t->conf.zone);
	memcpy(t->apex, apex.wire, apex.len);
	t->apexlen = apex.len;
	t->dirty = 1;
	t->probefd = -1;
	upd.nn++;
}

/* After the serials of the reload (the snapshots the resync sends). */
void
update_reconf_end(const struct presence *pr)
{
	size_t	i;

	for (i = 0; i < upd.n; i++) {
		target_close(&upd.t[i]);
		probe_stop(&upd.t[i]);
		free(upd.t[i].ops);
	}
	memcpy(upd.t, upd.nt, sizeof(upd.t));
	upd.n = upd.nn;
	upd.nn = 0;
	upd.pr = pr;
	for (i = 0; i < upd.n; i++) {
		evtimer_set(&upd.t[i].timer, update_timer, &upd.t[i]);
		probe_start(&upd.t[i]);
		update_kick(&upd.t[i]);
	}
}

/* Does a primary take this domain's records (so xfr.c snapshots it)? */
int
update_wanted(const uint8_t *apex, size_t len)
{
	size_t	i;

	for (i = 0; i < upd.nn; i++)
		if (upd.nt[i].apexlen == len &&
		    memcmp(upd.nt[i].apex, apex, len) == 0)
			return 1;
	for (i = 0; i < upd.n; i++)
		if (upd.t[i].apexlen == len &&
		    memcmp(upd.t[i].apex, apex, len) == 0)
			return 1;
	return 0;
}

/* A serial change of a domain: what went and what came, in that order. */
void
update_changes(const uint8_t *apex, size_t len, const struct precs *del,
    const struct precs *add, size_t zonesize)
{
	struct utarget	*t;
	size_t		 i, k;

	for (i = 0; i < upd.n; i++) {
		t = &upd.t[i];
		if (t->apexlen != len || memcmp(t->apex, apex, len) != 0 ||
		    t->dirty)
			continue;
		for (k = 0; k < del->n; k++)
			ops_push(t, UOP_DEL, 0, &del->v[k]);
		for (k = 0; k < add->n; k++)
			ops_push(t, UOP_ADD, 0, &add->v[k]);
		if (t->nops - t->sent > (zonesize > UPDATE_OPS_MIN ?
		    zonesize : UPDATE_OPS_MIN)) {
			/* cheaper whole; what is out stays out */
			t->nops = t->sent;
			t->dirty = 1;
		}
		update_kick(t);
	}
}

/* The i-th primary for metric_table(). */
static const void *
target_item(size_t i, char *labels, size_t len, void *arg)
{
	struct utarget	*t;

	(void)arg;
	if (i >= upd.n)
		return NULL;
	t = &upd.t[i];
	metric_label(labels, len, "primary", sockunion_ntop(&t->conf.addr));
	metric_label(labels, len, "zone", t->conf.zone);
	t->stats.queued = t->nops;
	return &t->stats;
}

void
update_metrics(struct metrics *m)
{
	static const struct metric_field f[] = {
		{ "vpndnsd_update_messages_total", "counter",
		    "RFC 2136 updates the primary took.",
		    offsetof(struct update_stats, messages) },
		{ "vpndnsd_update_failures_total", "counter",
		    "Updates the primary did not take, or no answer.",
		    offsetof(struct update_stats, failures) },
		{ "vpndnsd_update_resyncs_total", "counter",
		    "Full resyncs of the zone's presence records.",
		    offsetof(struct update_stats, resyncs) },
		{ "vpndnsd_update_queued", "gauge",
		    "Record changes waiting to be sent.",
		    offsetof(struct update_stats, queued) },
	};

	metric_table(m, f, sizeof(f) / sizeof(f[0]), target_item, NULL);
}
