/*
 * Zone transfers out and NOTIFY: vpndnsd as a hidden primary.
 *
 * A domain's zone is its SOA and NS, its static records and the presence
 * names that answer now (offline peers are not in it, unless under
 * offline.SUFFIX).  Its serial moves whenever that content does: after a
 * reload, and when the presence records hash to something new, which the
 * resolver asks every second and after every wgwatch transaction (a
 * handshake ages past the threshold with no event at all).  A new serial
 * is max(old + 1, now): restarts and reloads keep it growing.
 *
 * With transfers configured, each domain keeps the sorted presence
 * records of its current serial (the snapshot a transfer serves, so that
 * what it holds is what the serial stands for) and a journal of what each
 * serial change added and removed.  An IXFR from a serial in the journal
 * gets those differences (RFC 1995); from any other, the whole zone in
 * AXFR form (section 4).  A reload empties the journal: static records
 * are not in it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/crypto.h>

#include "dnsmsg.h"
#include "imsg.h"
#include "log.h"
#include "metrics.h"
#include "qlog.h"
#include "resolver.h"

#define XFR_MSG_MAX		32768	/* records' bytes in one message */
#define NOTIFY_TRIES		5
#define NOTIFY_WAIT_US		1000000	/* for an answer, before again */
#define XFR_ZONES_MAX		1024
#define JOURNAL_MAX		64	/* serial changes kept */
#define JOURNAL_RECORDS_MIN	1024	/* and records, or the zone's size */

struct xfr_diff {
	uint32_t	from, to;
	struct precs	del, add;
};

/* A domain's figures, for the metrics. */
struct xfr_stats {
	uint64_t	serial;
	uint64_t	journal;	/* serials an IXFR can start at */
	uint64_t	notifies;	/* NOTIFY messages sent */
	uint64_t	notify_acks;	/* and answered */
};

struct xfr_zone {
	uint8_t		apex[DNS_MAX_NAME];
	size_t		apexlen;
	struct xfr_stats stats;
	uint32_t	serial;
	uint64_t	digest;
	uint16_t	notify_id[XFR_NOTIFY_MAX];
	uint8_t		notify_left[XFR_NOTIFY_MAX];
	uint64_t	notify_us[XFR_NOTIFY_MAX];	/* last sent */
	ldns_rdf	*notify_mac[XFR_NOTIFY_MAX];	/* its TSIG's */
	struct precs	snap;		/* presence records at 'serial' */
	int		tracked;	/* snap holds them */
	struct xfr_diff	journal[JOURNAL_MAX];
	size_t		njournal;
	size_t		jrecords;	/* added and removed, in all */
};

static struct {
	struct xfr_conf	 conf;
	struct xfr_zone	*zones;
	size_t		 nzones;
	int		 fd[2];		/* NOTIFY: IPv4, IPv6 */
	struct event	 ev[2];
	struct event	 tick;
	int		 started;
} xfr = { .fd = { -1, -1 } };

static void	notify_send(struct xfr_zone *, uint32_t);

/* A NOTIFY answer comes from where it went, address and port. */
static int
same_peer(const union sockunion *a, const union sockunion *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_port == b->sin.sin_port &&
		    a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return a->sin6.sin6_port == b->sin6.sin6_port &&
	    memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
}

/* The answer to a signed NOTIFY must be signed over its MAC. */
static int
notify_signed(const struct xfr_zone *z, uint32_t t, const uint8_t *buf,
    size_t len)
{
	ldns_pkt	*pkt;
	int		 ok;

	if (z->notify_mac[t] == NULL)
		return 1;
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK)
		return 0;
	ok = tsig_answer_ok(pkt, buf, len, &xfr.conf.key, z->notify_mac[t]);
	ldns_pkt_free(pkt);
	return ok;
}

static void
notify_read(int fd, short event, void *arg)
{
	uint8_t			 buf[512];
	union sockunion		 from;
	socklen_t		 flen = sizeof(from);
	ssize_t			 n;
	size_t			 i, t;
	uint16_t		 id;

	(void)event;
	(void)arg;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, &from.sa,
	    &flen)) >= 0) {
		flen = sizeof(from);
		/* an answer to our NOTIFY: QR set, opcode NOTIFY */
		if (n < DNS_HEADER_SIZE || !(buf[2] & 0x80) ||
		    ((buf[2] >> 3) & 0x0f) != LDNS_PACKET_NOTIFY)
			continue;
		id = buf[0] << 8 | buf[1];
		for (t = 0; t < xfr.conf.nnotify; t++)
			if (same_peer(&xfr.conf.notify[t], &from))
				break;
		for (i = 0; t < xfr.conf.nnotify && i < xfr.nzones; i++)
			if (xfr.zones[i].notify_left[t] > 0 &&
			    xfr.zones[i].notify_id[t] == id &&
			    notify_signed(&xfr.zones[i], t, buf, n)) {
				xfr.zones[i].notify_left[t] = 0;
				xfr.zones[i].stats.notify_acks++;
			}
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("NOTIFY socket");
}

static void
notify_sockets(void)
{
	static const int	af[2] = { AF_INET, AF_INET6 };
	size_t			i;

	for (i = 0; i < 2; i++) {
		if (xfr.fd[i] != -1)
			continue;
		if ((xfr.fd[i] = socket(af[i], SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			log_warn("NOTIFY socket");
			continue;
		}
		event_set(&xfr.ev[i], xfr.fd[i], EV_READ | EV_PERSIST,
		    notify_read, NULL);
		if (event_add(&xfr.ev[i], NULL) == -1)
			fatal("event_add");
	}
}

/* Every second: the NOTIFYs still owed (resolver.c moves the serials). */
static void
xfr_tick(int fd, short event, void *arg)
{
	struct timeval	tv = { 1, 0 };
	size_t		i;
	uint32_t	t;

	(void)fd;
	(void)event;
	(void)arg;
	for (i = 0; i < xfr.nzones; i++)
		for (t = 0; t < xfr.conf.nnotify; t++)
			if (xfr.zones[i].notify_left[t] > 0 && qlog_now() -
			    xfr.zones[i].notify_us[t] >= NOTIFY_WAIT_US)
				notify_send(&xfr.zones[i], t);
	evtimer_add(&xfr.tick, &tv);
}

/*
 * TSIG's HMACs come from libcrypto, which sets itself up (locks, its
 * providers) on first use: that happens here, before the sandbox.  Its
 * clean-up at exit would take those locks again, under the sandbox (a
 * futex(2) call): the process is going anyway, so there is none.
 */
void
xfr_init(void)
{
	static const char	*algs[] = { "hmac-sha1.", "hmac-sha256.",
				    "hmac-sha512." };
	ldns_pkt		*pkt;
	size_t			 i;

	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL))
		fatalx("OPENSSL_init_crypto");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if ((pkt = ldns_pkt_new()) == NULL)
			fatal("ldns_pkt_new");
		if (ldns_pkt_tsig_sign(pkt, "init.", "AAAAAAAAAAAAAAAAAAAAAA==",
		    TSIG_FUDGE, algs[i], NULL) != LDNS_STATUS_OK)
			fatalx("TSIG with %s does not work", algs[i]);
		ldns_pkt_free(pkt);
	}
}

void
xfr_reconf(const struct imsg *imsg)
{
	struct timeval	tv = { 1, 0 };

	if (imsg->len != sizeof(xfr.conf))
		fatalx("bad IMSG_RECONF_XFR");
	explicit_bzero(&xfr.conf, sizeof(xfr.conf));
	memcpy(&xfr.conf, imsg->data, sizeof(xfr.conf));
	xfr.conf.key.name[sizeof(xfr.conf.key.name) - 1] = '\0';
	xfr.conf.key.algorithm[sizeof(xfr.conf.key.algorithm) - 1] = '\0';
	xfr.conf.key.secret[sizeof(xfr.conf.key.secret) - 1] = '\0';
	if (xfr.conf.nnotify > XFR_NOTIFY_MAX)
		fatalx("IMSG_RECONF_XFR with %u secondaries",
		    xfr.conf.nnotify);
	if (xfr.conf.nnotify > 0)
		notify_sockets();
	if (!xfr.started) {
		evtimer_set(&xfr.tick, xfr_tick, NULL);
		evtimer_add(&xfr.tick, &tv);
		xfr.started = 1;
	}
}

static struct xfr_zone *
zone_state(const struct xfr_zone *old, size_t nold, const uint8_t *apex,
    size_t len)
{
	size_t	i;

	for (i = 0; i < nold; i++)
		if (old[i].apexlen == len &&
		    memcmp(old[i].apex, apex, len) == 0)
			return (struct xfr_zone *)&old[i];
	return NULL;
}

static void
diff_free(struct xfr_diff *d)
{
	free(d->del.v);
	free(d->add.v);
}

static void
journal_clear(struct xfr_zone *z)
{
	size_t	i;

	for (i = 0; i < z->njournal; i++)
		diff_free(&z->journal[i]);
	z->njournal = z->jrecords = 0;
}

/* The oldest change goes: IXFR from its serial gets the whole zone. */
static void
journal_drop(struct xfr_zone *z)
{
	z->jrecords -= z->journal[0].del.n + z->journal[0].add.n;
	diff_free(&z->journal[0]);
	memmove(&z->journal[0], &z->journal[1],
	    --z->njournal * sizeof(z->journal[0]));
}

static void
zone_free(struct xfr_zone *z)
{
	uint32_t	t;

	for (t = 0; t < XFR_NOTIFY_MAX; t++) {
		ldns_rdf_deep_free(z->notify_mac[t]);
		z->notify_mac[t] = NULL;
	}
	journal_clear(z);
	free(z->snap.v);
	memset(&z->snap, 0, sizeof(z->snap));
	z->tracked = 0;
}

/* What went from 'a' to 'b', both sorted: one merge walk. */
static void
precs_diff(const struct precs *a, const struct precs *b, struct xfr_diff *d)
{
	size_t	i = 0, j = 0;
	int	c;

	while (i < a->n || j < b->n) {
		c = i == a->n ? 1 : j == b->n ? -1 :
		    memcmp(&a->v[i], &b->v[j], sizeof(a->v[0]));
		if (c < 0)
			precs_push(&d->del, &a->v[i++]);
		else if (c > 0)
			precs_push(&d->add, &b->v[j++]);
		else
			i++, j++;
	}
}

/*
 * The journal keeps the last JOURNAL_MAX changes, and no more records
 * than the zone has (past that, AXFR is the cheaper way).
 */
static void
journal_push(struct xfr_zone *z, const struct xfr_diff *d)
{
	if (z->njournal == JOURNAL_MAX)
		journal_drop(z);
	z->journal[z->njournal++] = *d;
	z->jrecords += d->del.n + d->add.n;
	while (z->njournal > 0 && z->jrecords > (z->snap.n >
	    JOURNAL_RECORDS_MIN ? z->snap.n : JOURNAL_RECORDS_MIN))
		journal_drop(z);
}

/*
 * The zone moved from serial 'from' to z->serial: its new snapshot, and
 * the difference, for the journal and the primaries we update.
 */
static void
snapshot(struct xfr_zone *z, const struct presence *pr, uint32_t from,
    int reload, time_t now)
{
	struct precs	 snap = { NULL, 0, 0 };
	struct xfr_diff	 d;

	presence_records(pr, z->apex, z->apexlen, now, &snap);
	memset(&d, 0, sizeof(d));
	if (!reload && z->tracked) {
		d.from = from;
		d.to = z->serial;
		precs_diff(&z->snap, &snap, &d);
	} else
		journal_clear(z);
	free(z->snap.v);
	z->snap = snap;
	z->tracked = 1;
	/* after the new snapshot: a resync it starts must send that one */
	if (d.to != 0)
		update_changes(z->apex, z->apexlen, &d.del, &d.add, snap.n);
	if (xfr.conf.transfers && d.to != 0)
		journal_push(z, &d);
	else
		diff_free(&d);
}

static void
zone_bump(struct localdata *ld, const struct presence *pr, size_t i,
    struct xfr_zone *z, time_t now, int reload)
{
	uint32_t	t, from = z->serial;

	z->serial = z->serial == 0 || serial_newer((uint32_t)now, z->serial) ?
	    (uint32_t)now : z->serial + 1;
	localdata_set_serial(ld, i, z->serial);
	if (xfr.conf.transfers || update_wanted(z->apex, z->apexlen))
		snapshot(z, pr, from, reload, now);
	else if (z->tracked)
		zone_free(z);
	for (t = 0; t < xfr.conf.nnotify; t++) {
		z->notify_id[t] = arc4random();
		z->notify_left[t] = NOTIFY_TRIES;
		notify_send(z, t);
	}
}

/*
 * After a reload ('reload'), every domain gets a new serial; otherwise
 * those whose presence records changed.  Returns how many changed.
 */
int
xfr_serials(struct localdata *ld, const struct presence *pr, int reload)
{
	struct xfr_zone	*zones, *z;
	const uint8_t	*apex;
	time_t		 now = time(NULL);
	size_t		 i, n = localdata_ndomains(ld), len;
	uint64_t	 d;
	int		 changed = 0;

	if (n > XFR_ZONES_MAX)
		n = XFR_ZONES_MAX;
	if (reload) {
		if ((zones = calloc(n ? n : 1, sizeof(*zones))) == NULL)
			fatal("calloc");
		for (i = 0; i < n; i++) {
			apex = localdata_apex(ld, i, &len);
			if ((z = zone_state(xfr.zones, xfr.nzones, apex,
			    len)) != NULL) {
				zones[i] = *z;
				z->apexlen = 0;		/* moved */
			}
			memcpy(zones[i].apex, apex, len);
			zones[i].apexlen = len;
		}
		for (i = 0; i < xfr.nzones; i++)
			if (xfr.zones[i].apexlen > 0)
				zone_free(&xfr.zones[i]);
		free(xfr.zones);
		xfr.zones = zones;
		xfr.nzones = n;
	}
	for (i = 0; i < xfr.nzones; i++) {
		z = &xfr.zones[i];
		/*
		 * One new serial a second at most, so that it never runs
		 * ahead of the clock (a restart starts from the clock): a
		 * second change within the second waits for the next tick.
		 */
		if (!reload && z->serial == (uint32_t)now)
			continue;
		d = presence_digest(pr, z->apex, z->apexlen, now);
		if (!reload && d == z->digest)
			continue;
		z->digest = d;
		zone_bump(ld, pr, i, z, now, reload);
		changed++;
	}
	return changed;
}

static void
notify_send(struct xfr_zone *z, uint32_t t)
{
	const union sockunion	*to = &xfr.conf.notify[t];
	ldns_pkt		*pkt;
	ldns_rr			*q;
	ldns_rdf		*owner;
	uint8_t			*wire;
	size_t			 len;
	int			 fd = xfr.fd[to->sa.sa_family == AF_INET6];

	z->notify_left[t]--;
	z->notify_us[t] = qlog_now();
	z->stats.notifies++;
	if (fd == -1)
		return;
	if ((pkt = ldns_pkt_new()) == NULL || (q = ldns_rr_new()) == NULL)
		fatal("ldns");
	ldns_pkt_set_id(pkt, z->notify_id[t]);
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_NOTIFY);
	ldns_pkt_set_aa(pkt, 1);
	if ((owner = ldns_dname_new_frm_data(z->apexlen, z->apex)) == NULL)
		fatal("ldns_dname_new_frm_data");
	ldns_rr_set_owner(q, owner);
	ldns_rr_set_type(q, LDNS_RR_TYPE_SOA);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q))
		fatal("ldns_pkt_push_rr");
	ldns_rdf_deep_free(z->notify_mac[t]);
	z->notify_mac[t] = xfr.conf.key.name[0] != '\0' ?
	    tsig_sign(pkt, &xfr.conf.key, NULL, 0) : NULL;
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK)
		fatalx("ldns_pkt2wire");
	if (sendto(fd, wire, len, 0, &to->sa, to->sa.sa_family == AF_INET ?
	    sizeof(to->sin) : sizeof(to->sin6)) == -1)
		log_warn("NOTIFY to %s", sockunion_ntop(to));
	free(wire);
	ldns_pkt_free(pkt);
}

/* The records of a transfer, each message signed when we have a key. */
static void
xfr_send(const struct query_msg *qm, const ldns_rr_list *rrs,
    const ldns_rdf *qmac, const struct verdict *v)
{
	ldns_pkt	*pkt;
	ldns_rdf	*mac = NULL, *next;
	ldns_rr		*rr;
	uint8_t		*wire;
	size_t		 i = 0, n = ldns_rr_list_rr_count(rrs), size, len;
	int		 first = 1;

	if (qmac != NULL && (mac = ldns_rdf_clone(qmac)) == NULL)
		fatal("ldns_rdf_clone");
	do {
		pkt = reply_new(qm);
		ldns_pkt_set_aa(pkt, 1);
		for (size = 0; i < n; i++) {
			rr = ldns_rr_list_rr(rrs, i);
			if (size > 0 && size + ldns_rr_uncompressed_size(rr) >
			    XFR_MSG_MAX)
				break;
			size += ldns_rr_uncompressed_size(rr);
			if ((rr = ldns_rr_clone(rr)) == NULL ||
			    !ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr))
				fatal("ldns_pkt_push_rr");
		}
		if (xfr.conf.key.name[0] != '\0') {
			next = tsig_sign(pkt, &xfr.conf.key, mac, !first);
			ldns_rdf_deep_free(mac);
			mac = next;
		}
		if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK ||
		    len > DNS_MAX_MSG)
			fatalx("a transfer message of %zu bytes", len);
		if (i < n)
			reply_part(qm, wire, len);
		else
			reply_answer(qm, wire, len, v);
		free(wire);
		ldns_pkt_free(pkt);
		first = 0;
	} while (i < n);
	ldns_rdf_deep_free(mac);
}

static void
xfr_refuse(const struct query_msg *qm, int rcode, const struct verdict *v)
{
	static uint8_t	buf[DNS_HEADER_SIZE + DNS_MAX_NAME + 4 +
			    DNSMSG_OPT_LEN];

	reply_answer(qm, buf, dnsmsg_error(buf, sizeof(buf), qm, rcode),
	    v);
}

/*
 * The query's TSIG against our key.  Returns 0 with its MAC in 'mac' (or
 * NULL with no key configured), or the rcode to refuse it with.
 */
static int
xfr_verify(ldns_pkt *q, const uint8_t *wire, size_t len, const ldns_rdf **mac,
    const struct verdict **v)
{
	static const struct verdict	unsigned_v = { "transfer refused: no "
					    "TSIG", NULL, NULL };
	static const struct verdict	badsig = { "transfer refused: bad TSIG",
					    NULL, NULL };
	ldns_rr				*tsig = ldns_pkt_tsig(q);

	*mac = NULL;
	if (xfr.conf.key.name[0] == '\0')
		return 0;
	if (tsig == NULL) {
		*v = &unsigned_v;
		return DNS_RCODE_REFUSED;
	}
	if (!tsig_ours(tsig, &xfr.conf.key, time(NULL)) ||
	    !ldns_pkt_tsig_verify(q, wire, len, xfr.conf.key.name,
	    xfr.conf.key.secret, NULL)) {
		*v = &badsig;
		return LDNS_RCODE_NOTAUTH;
	}
	*mac = ldns_rr_rdf(tsig, 3);
	return 0;
}

/* IXFR: the client's serial, from the SOA in the authority section. */
static int
ixfr_serial(const ldns_pkt *q, uint32_t *serial)
{
	const ldns_rr_list	*auth = ldns_pkt_authority(q);
	const ldns_rr		*soa;

	if (auth == NULL || ldns_rr_list_rr_count(auth) != 1 ||
	    ldns_rr_get_type(soa = ldns_rr_list_rr(auth, 0)) !=
	    LDNS_RR_TYPE_SOA || ldns_rr_rd_count(soa) < 3)
		return -1;
	*serial = ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
	return 0;
}

static void
rr_push(ldns_rr_list *rrs, ldns_rr *rr)
{
	if (rr == NULL || !ldns_rr_list_push_rr(rrs, rr))
		fatal("ldns_rr_list_push_rr");
}

static uint32_t
soa_serial(const ldns_rr *soa)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(soa, 2));
}

/* The SOA with another serial: the versions an IXFR answer names. */
static ldns_rr *
soa_at(const ldns_rr *soa, uint32_t serial)
{
	ldns_rr		*c;
	ldns_rdf	*r;

	if ((c = ldns_rr_clone(soa)) == NULL ||
	    (r = ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial)) == NULL)
		fatal("ldns");
	ldns_rdf_deep_free(ldns_rr_set_rdf(c, r, 2));
	return c;
}

static void
precs_rrs(const struct precs *r, const struct presence *pr,
    const uint8_t *apex, size_t apexlen, ldns_rr_list *rrs)
{
	ldns_rr	*rr;
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if ((rr = presence_rr(pr, apex, apexlen, &r->v[i])) != NULL)
			rr_push(rrs, rr);
}

/*
 * The whole zone: SOA, static records, the presence records the serial
 * stands for (the snapshot; taken now when there is none), SOA.
 */
static void
axfr_records(const struct xfr_zone *z, const struct presence *pr,
    const struct localdata *ld, int zi, ldns_rr_list *rrs)
{
	struct precs	 now = { NULL, 0, 0 };
	const uint8_t	*apex;
	size_t		 apexlen;

	apex = localdata_apex(ld, zi, &apexlen);
	localdata_zone(ld, zi, rrs);
	if (z != NULL && z->tracked)
		precs_rrs(&z->snap, pr, apex, apexlen, rrs);
	else {
		presence_records(pr, apex, apexlen, time(NULL), &now);
		precs_rrs(&now, pr, apex, apexlen, rrs);
		free(now.v);
	}
	rr_push(rrs, ldns_rr_clone(localdata_zone_soa(ld, zi)));
}

/*
 * An IXFR from 'serial' out of the journal, after the current SOA already
 * in 'rrs': each change as the old SOA, what went, the new SOA, what
 * came; the current SOA last.  Returns 0 when the journal does not reach
 * back to 'serial'.
 */
static int
ixfr_journal(const struct xfr_zone *z, uint32_t serial, const ldns_rr *soa,
    const struct presence *pr, const struct localdata *ld, int zi,
    ldns_rr_list *rrs)
{
	const struct xfr_diff	*d;
	const uint8_t		*apex;
	size_t			 apexlen, k;

	for (k = 0; z != NULL && k < z->njournal; k++)
		if (z->journal[k].from == serial)
			break;
	if (z == NULL || k == z->njournal || z->serial != soa_serial(soa))
		return 0;
	apex = localdata_apex(ld, zi, &apexlen);
	for (; k < z->njournal; k++) {
		d = &z->journal[k];
		rr_push(rrs, soa_at(soa, d->from));
		precs_rrs(&d->del, pr, apex, apexlen, rrs);
		rr_push(rrs, soa_at(soa, d->to));
		precs_rrs(&d->add, pr, apex, apexlen, rrs);
	}
	rr_push(rrs, ldns_rr_clone(soa));
	return 1;
}

/*
 * AXFR and IXFR of one of our domains from a client the frontend let
 * through (transfer to): signed with our key, or refused.
 */
void
xfr_query(const struct query_msg *qm, const uint8_t *lname,
    const uint8_t *wire, size_t len, const struct localdata *ld,
    const struct presence *pr)
{
	static const struct verdict	notours = { "transfer refused: not our "
					    "zone", NULL, NULL };
	static const struct verdict	udp = { "transfer refused: AXFR over "
					    "UDP", NULL, NULL };
	static const struct verdict	bad = { "transfer: malformed", NULL,
					    NULL };
	static const struct verdict	done = { "transfer", NULL, NULL };
	static const struct verdict	current = { "transfer: up to date",
					    NULL, NULL };
	static const struct verdict	incremental = { "transfer: incremental",
					    NULL, NULL };
	static long long		last;
	const struct verdict		*v = &bad;
	const ldns_rdf			*mac;
	const ldns_rr			*soa;
	const struct xfr_zone		*z;
	ldns_rr_list			*rrs;
	ldns_pkt			*q = NULL;
	uint32_t			 serial = 0;
	int				 zi, rcode;

	if (qm->qclass != LDNS_RR_CLASS_IN ||
	    (zi = localdata_zone_index(ld, lname, qm->qname_len)) == -1) {
		xfr_refuse(qm, DNS_RCODE_REFUSED, &notours);
		return;
	}
	if (!qm->ctx.tcp && qm->qtype == LDNS_RR_TYPE_AXFR) {
		xfr_refuse(qm, DNS_RCODE_REFUSED, &udp);
		return;
	}
	if (ldns_wire2pkt(&q, wire, len) != LDNS_STATUS_OK) {
		xfr_refuse(qm, DNS_RCODE_FORMERR, &bad);
		return;
	}
	if ((rcode = xfr_verify(q, wire, len, &mac, &v)) != 0) {
		/* a secondary with the wrong key must be seen, not guessed */
		if (log_ratelimit(&last))
			log_warnx("%s from %s: %s", qm->qtype ==
			    LDNS_RR_TYPE_AXFR ? "AXFR" : "IXFR",
			    sockunion_ntop(&qm->ctx.client), v->what);
		xfr_refuse(qm, rcode, v);
		ldns_pkt_free(q);
		return;
	}
	if (qm->qtype == LDNS_RR_TYPE_IXFR && ixfr_serial(q, &serial) == -1) {
		xfr_refuse(qm, DNS_RCODE_FORMERR, &bad);
		ldns_pkt_free(q);
		return;
	}
	if ((rrs = ldns_rr_list_new()) == NULL)
		fatal("ldns_rr_list_new");
	z = (size_t)zi < xfr.nzones ? &xfr.zones[zi] : NULL;
	if (qm->qtype == LDNS_RR_TYPE_IXFR) {
		soa = localdata_zone_soa(ld, zi);
		rr_push(rrs, ldns_rr_clone(soa));
		/* up to date, or over UDP: the SOA alone (RFC 1995 2, 4) */
		v = &current;
		if (qm->ctx.tcp && serial_newer(soa_serial(soa), serial)) {
			if (ixfr_journal(z, serial, soa, pr, ld, zi, rrs))
				v = &incremental;
			else {
				ldns_rr_free(ldns_rr_list_pop_rr(rrs));
				axfr_records(z, pr, ld, zi, rrs);
				v = &done;
			}
		}
	} else {
		axfr_records(z, pr, ld, zi, rrs);
		v = &done;
	}
	xfr_send(qm, rrs, mac, v);
	ldns_rr_list_deep_free(rrs);
	ldns_pkt_free(q);
}

/* The i-th domain for metric_table(): its name, its figures. */
static const void *
zone_item(size_t i, char *labels, size_t len, void *arg)
{
	struct xfr_zone	*z;
	ldns_rdf	*apex;
	char		*name;

	(void)arg;
	if (i >= xfr.nzones)
		return NULL;
	z = &xfr.zones[i];
	if ((apex = ldns_dname_new_frm_data(z->apexlen, z->apex)) == NULL ||
	    (name = ldns_rdf2str(apex)) == NULL)
		fatal("ldns");
	metric_label(labels, len, "domain", name);
	free(name);
	ldns_rdf_deep_free(apex);
	z->stats.serial = z->serial;
	z->stats.journal = z->njournal;
	return &z->stats;
}

void
xfr_metrics(struct metrics *m)
{
	static const struct metric_field f[] = {
		{ "vpndnsd_zone_serial", "gauge",
		    "The domain's SOA serial.",
		    offsetof(struct xfr_stats, serial) },
		{ "vpndnsd_zone_journal_changes", "gauge",
		    "Serial changes an IXFR can start from.",
		    offsetof(struct xfr_stats, journal) },
		{ "vpndnsd_notify_sent_total", "counter",
		    "NOTIFY messages sent to secondaries, retries included.",
		    offsetof(struct xfr_stats, notifies) },
		{ "vpndnsd_notify_answered_total", "counter",
		    "NOTIFY messages a secondary answered.",
		    offsetof(struct xfr_stats, notify_acks) },
	};

	metric_table(m, f, sizeof(f) / sizeof(f[0]), zone_item, NULL);
}
