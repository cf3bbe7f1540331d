/*
 * What the resolver sends the frontend, on their one channel: answers
 * to clients, whatever made them (local data, policy, upstreams,
 * transfers), the copies of local answers, and control replies.  The
 * counts of answers by what decided them live here too, since every
 * answer passes.  Modules that answer call down to this one; it calls
 * no module of the resolver's.
 *
 * Nothing here waits for the frontend (see answer_send).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsmsg.h"
#include "imsgev.h"
#include "log.h"
#include "metrics.h"
#include "qlog.h"
#include "resolver.h"
#include "wire.h"

static struct {
	struct imsgev		*frontend;
	int			 log_queries;
	int			 in_batch;	/* answers go at its end */
	int			 xfr_cut;	/* a transfer lost a message */
	int			 copies;	/* the frontend may hold some */
	struct event		 flush;		/* answers out, end of pass */
	int			 flush_armed;
	struct reply_stats	 stats;
} rp;

static void	reply_flush_cb(int, short, void *);

void
reply_init(struct imsgev *frontend)
{
	rp.frontend = frontend;
	evtimer_set(&rp.flush, reply_flush_cb, NULL);
}

void
reply_set_log(int log_queries)
{
	rp.log_queries = log_queries;
}

void
reply_totals(struct reply_stats *st)
{
	*st = rp.stats;
}

/* Queries as the frontend reads them: answers go with one write at the end. */
void
reply_batch(int on)
{
	rp.in_batch = on;
	if (!on)
		reply_flush();
}

/* A transfer's messages start: none lost yet. */
void
reply_xfr_begin(void)
{
	rp.xfr_cut = 0;
}

/*
 * What is queued goes now, and the connections that lost an answer are
 * named as far as there is room; EV_WRITE takes the rest.
 */
void
reply_flush(void)
{
	if (imsgbuf_write(&rp.frontend->ibuf) == -1)
		fatal("frontend channel");
	reply_lost();
	imsgev_update(rp.frontend);
}

/*
 * A copy of a local answer the frontend may answer from (struct
 * local_copy, the key, the wire form without OPT): no room, no copy, and
 * the next query for it comes here.
 */
void
reply_copy(struct local_copy *lc, const uint8_t *key, const uint8_t *wire)
{
	struct iovec	iov[3];

	iov[0].iov_base = lc;
	iov[0].iov_len = sizeof(*lc);
	iov[1].iov_base = (void *)(uintptr_t)key;
	iov[1].iov_len = lc->keylen;
	iov[2].iov_base = (void *)(uintptr_t)wire;
	iov[2].iov_len = lc->wlen;
	if (imsg_composev(&rp.frontend->ibuf, IMSG_LOCAL_COPY, 0, -1, iov,
	    3) == -1) {
		if (errno != ENOBUFS)
			fatal("frontend channel");
		return;
	}
	rp.copies = 1;
}

/*
 * The frontend's copies are void.  The message travels behind every
 * answer already queued, so no copy outlives the change; it has its own
 * write, as no answer may follow soon to carry it.
 */
void
reply_copies_void(void)
{
	if (!rp.copies)
		return;
	reply_ctl(IMSG_LOCAL_FLUSH, 0, NULL, 0);
	rp.copies = 0;
	imsgev_update(rp.frontend);
}

/*
 * Answers by what decided them (the query log's verdict) and rcode, and
 * the time from the frontend reading the query to the answer: for the
 * metrics.  Verdicts are a few static strings, found by address.
 */
#define ANSWER_KINDS		24
static struct {
	struct {
		const char	*what;
		uint64_t	 rcode[16];
	}			 kind[ANSWER_KINDS];
	size_t			 nkinds;
	struct metric_latency	 latency;
} answers;

ldns_pkt *
reply_new(const struct query_msg *qm)
{
	ldns_pkt	*pkt;
	ldns_rr		*q;
	ldns_rdf	*qname;

	if ((pkt = ldns_pkt_new()) == NULL || (q = ldns_rr_new()) == NULL ||
	    (qname = ldns_dname_new_frm_data(qm->qname_len, qm->qname)) ==
	    NULL)
		fatal("ldns");
	ldns_pkt_set_id(pkt, qm->id);
	ldns_pkt_set_qr(pkt, 1);
	ldns_pkt_set_opcode(pkt, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(pkt, (qm->flags & DNS_FLAG_RD) != 0);
	ldns_pkt_set_cd(pkt, (qm->flags & DNS_FLAG_CD) != 0);
	ldns_rr_set_owner(q, qname);
	ldns_rr_set_type(q, qm->qtype);
	ldns_rr_set_class(q, qm->qclass);
	ldns_rr_set_question(q, true);
	if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q))
		fatal("ldns_pkt_push_rr");
	if (qm->edns_size > 0) {
		ldns_pkt_set_edns_udp_size(pkt, EDNS_MAX_UDP);
		ldns_pkt_set_edns_do(pkt, qm->edns_do);
	}
	return pkt;
}

/*
 * A client named by ECS gets the option back, its scope the source
 * prefix (RFC 7871 7.2.1): the answer may be its subnet's alone, and a
 * cache in front must not give it to others.  Appended to our bare OPT,
 * the last record, when it fits; an IPv4 client the option named as
 * ::ffff:a.b.c.d is given back so.  Returns the new length, or 0.
 */
static size_t
ecs_echo(const struct query_msg *qm, const uint8_t *wire, size_t len,
    uint8_t *out)
{
	const union sockunion	*c = &qm->ctx.client;
	uint8_t			 a[16], plen = qm->ctx.ecs_len;
	size_t			 n, limit;
	uint8_t			*o;

	memset(a, 0, sizeof(a));
	if (c->sa.sa_family == AF_INET6)
		memcpy(a, &c->sin6.sin6_addr, 16);
	else if (qm->ctx.ecs_mapped) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &c->sin.sin_addr, 4);
		plen += 96;
	} else
		memcpy(a, &c->sin.sin_addr, 4);
	n = (plen + 7) / 8;

	limit = qm->ctx.tcp ? DNS_MAX_MSG : qm->edns_size < EDNS_MAX_UDP ?
	    qm->edns_size : EDNS_MAX_UDP;
	if (qm->ctx.via != VIA_ECS || len < DNS_HEADER_SIZE + DNSMSG_OPT_LEN ||
	    len + 8 + n > limit || wire[len - 11] != 0 ||
	    get16(wire + len - 10) != DNS_TYPE_OPT ||
	    wire[len - 2] != 0 || wire[len - 1] != 0)
		return 0;
	memcpy(out, wire, len);
	o = out + len;
	out[len - 1] = 8 + n;
	o[0] = 0;
	o[1] = DNS_OPT_ECS;
	o[2] = 0;
	o[3] = 4 + n;
	o[4] = 0;
	o[5] = c->sa.sa_family == AF_INET && !qm->ctx.ecs_mapped ? 1 : 2;
	o[6] = o[7] = plen;
	memcpy(o + 8, a, n);
	return len + 8 + n;
}

/*
 * Nothing here waits for the frontend.  An answer that finds the channel
 * full is dropped and counted, as the frontend drops a query that finds
 * its way full, and no query is taken until the channel drains
 * (the resolver's main file).  A TCP client waits for every answer, so
 * a connection that lost one is named to the frontend, which closes it:
 * a table by connection slot, so a flood of losses costs no more than
 * the connections there are.
 */
static struct {
	uint32_t	gen[TCP_SLOTS_MAX];
	uint32_t	slot[TCP_SLOTS_MAX];
	uint8_t		marked[TCP_SLOTS_MAX / 8];
	size_t		n;
} lost;

static void
answer_dropped(const struct dnsq_ctx *ctx)
{
	static long long	last;
	uint32_t		s = ctx->conn;

	rp.stats.dropped++;
	if (log_ratelimit(&last))
		log_warnx("the frontend's channel is full: answers dropped");
	if (!ctx->tcp)
		return;
	if (s >= TCP_SLOTS_MAX)
		fatalx("an answer for TCP connection %u", s);
	lost.gen[s] = ctx->gen;
	if (lost.marked[s / 8] & (1 << s % 8))
		return;
	lost.marked[s / 8] |= 1 << s % 8;
	lost.slot[lost.n++] = s;
}

/* The connections that lost an answer, as far as the channel has room. */
void
reply_lost(void)
{
	static struct tcp_lost	tl[TCP_LOST_MAX];
	size_t			i, n;
	uint32_t		s;

	while (lost.n > 0) {
		n = lost.n < TCP_LOST_MAX ? lost.n : TCP_LOST_MAX;
		for (i = 0; i < n; i++) {
			s = lost.slot[lost.n - 1 - i];
			tl[i].conn = s;
			tl[i].gen = lost.gen[s];
		}
		if (imsg_compose(&rp.frontend->ibuf, IMSG_TCP_LOST, 0, -1, tl,
		    n * sizeof(tl[0])) == -1) {
			if (errno != ENOBUFS)
				fatal("frontend channel");
			return;
		}
		for (i = 0; i < n; i++) {
			s = tl[i].conn;
			lost.marked[s / 8] &= ~(1 << s % 8);
		}
		lost.n -= n;
	}
}

/* An answer or a part of one; 0 when it was dropped. */
static int
answer_send(const struct dnsq_ctx *ctx, const uint8_t *wire, size_t len)
{
	struct iovec	iov[2];

	iov[0].iov_base = (void *)(uintptr_t)ctx;
	iov[0].iov_len = sizeof(*ctx);
	iov[1].iov_base = (void *)(uintptr_t)wire;
	iov[1].iov_len = len;
	if (imsg_composev(&rp.frontend->ibuf, IMSG_ANSWER, 0, -1, iov, 2) ==
	    0)
		return 1;
	if (errno != ENOBUFS)
		fatal("frontend channel");
	answer_dropped(ctx);
	return 0;
}

/*
 * Control replies are never dropped: each is bounded by the state it
 * shows, and while one is queued past the cap no request is read.
 */
void
reply_ctl(uint16_t type, uint32_t peerid, const struct iovec *iov, int n)
{
	if (imsg_composev_over(&rp.frontend->ibuf, type, peerid, iov, n) ==
	    -1)
		fatal("frontend channel");
}

void
reply_ctl_compose(uint16_t type, uint32_t peerid, const void *data, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	reply_ctl(type, peerid, &iov, len > 0);
}

static size_t
answer_kind(const char *what)
{
	size_t	i, k;

	for (i = 0; i < answers.nkinds; i++)
		if (answers.kind[i].what == what)
			break;
	/* the same words at another address, where literals are not merged */
	for (k = 0; i == answers.nkinds && k < answers.nkinds; k++)
		if (strcmp(answers.kind[k].what, what) == 0)
			i = k;
	if (i == answers.nkinds) {
		if (answers.nkinds == ANSWER_KINDS - 1)
			answers.kind[answers.nkinds++].what = "other";
		if (answers.nkinds == ANSWER_KINDS)
			i = ANSWER_KINDS - 1;
		else
			answers.kind[answers.nkinds++].what = what;
	}
	return i;
}

static void
answer_count(const char *what, unsigned int rcode, uint64_t arrival_us)
{
	uint64_t	now = qlog_now();

	answers.kind[answer_kind(what)].rcode[rcode & 0x0f]++;
	metric_latency_add(&answers.latency, now > arrival_us ?
	    (now - arrival_us) / 1e6 : 0, 1);
}

/* 'n' answers with 'rcode' in the status figures. */
static void
answer_stats(unsigned int rcode, uint64_t n)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR:
		rp.stats.noerror += n;
		break;
	case DNS_RCODE_NXDOMAIN:
		rp.stats.nxdomain += n;
		break;
	case DNS_RCODE_REFUSED:
		rp.stats.refused += n;
		break;
	default:
		rp.stats.servfail += n;
		break;
	}
}

/*
 * IMSG_LOCAL_COUNTS: the answers the frontend made from its copies count
 * as the local answers they are, queries included, as if they had come.
 */
void
reply_local_counts(const struct imsg *imsg)
{
	struct local_counts	lc;
	size_t			k, i = answer_kind(qlog_local.what);

	if (imsg->len != sizeof(lc))
		fatalx("bad IMSG_LOCAL_COUNTS of %zu bytes", imsg->len);
	memcpy(&lc, imsg->data, sizeof(lc));
	for (k = 0; k < 16; k++) {
		answers.kind[i].rcode[k] += lc.rcode[k];
		answer_stats(k, lc.rcode[k]);
		rp.stats.queries += lc.rcode[k];
	}
	rp.stats.truncated += lc.truncated;
	metric_latency_merge(&answers.latency, &lc.latency);
}

void
reply_metrics(struct metrics *m)
{
	static const char	*rcodes[16] = { "NOERROR", "FORMERR",
				    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
				    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
				    "NOTZONE" };
	char			 l[METRICS_LINE_MAX], r[8];
	size_t			 i, k;

	metric_help(m, "vpndnsd_truncated_total", "counter",
	    "Answers sent with TC set.");
	metric_u64(m, "vpndnsd_truncated_total", "", rp.stats.truncated);
	metric_help(m, "vpndnsd_answers_dropped_total", "counter",
	    "Answers the resolver made and dropped: the frontend's channel "
	    "was full.");
	metric_u64(m, "vpndnsd_answers_dropped_total", "", rp.stats.dropped);

	metric_help(m, "vpndnsd_answers_total", "counter",
	    "Answers by what decided them and rcode.");
	for (i = 0; i < answers.nkinds; i++)
		for (k = 0; k < 16; k++) {
			if (answers.kind[i].rcode[k] == 0)
				continue;
			if (rcodes[k] == NULL)
				snprintf(r, sizeof(r), "%zu", k);
			l[0] = '\0';
			metric_label(l, sizeof(l), "decision",
			    answers.kind[i].what);
			metric_label(l, sizeof(l), "rcode",
			    rcodes[k] != NULL ? rcodes[k] : r);
			metric_u64(m, "vpndnsd_answers_total", l,
			    answers.kind[i].rcode[k]);
		}
	metric_help(m, "vpndnsd_answer_seconds", "histogram",
	    "From the frontend reading a query to its answer leaving the "
	    "resolver, or the frontend answering from a copy.");
	metric_latency(m, "vpndnsd_answer_seconds", &answers.latency);
}

/*
 * An answer to a client, whatever made it, to the frontend (dropped when
 * the channel is full, see answer_send).  Transfers send their messages
 * before the last with reply_part: once one of them is lost,
 * so is the rest.
 */
void
reply_answer(const struct query_msg *qm, const uint8_t *wire, size_t len,
    const struct verdict *v)
{
	reply_answer_ede(qm, wire, len, v, 0, NULL);
}

/*
 * The same, with an Extended DNS Error ('ede', 0 for none) and its
 * extra text: our own decision, told to an EDNS client in our OPT
 * (dnsmsg_ede() keeps the answer within the client's size).
 */
void
reply_answer_ede(const struct query_msg *qm, const uint8_t *wire,
    size_t len, const struct verdict *v, uint16_t ede, const char *text)
{
	static uint8_t	echo[DNS_MAX_MSG + DNSMSG_ECS_LEN + DNSMSG_EDE_LEN];
	size_t		n, optoff = len - DNSMSG_OPT_LEN;

	if (rp.xfr_cut)
		return;
	if ((n = ecs_echo(qm, wire, len, echo)) > 0) {
		wire = echo;
		len = n;
	}
	if (ede != 0 && qm->edns_size > 0 && len >= DNS_HEADER_SIZE +
	    DNSMSG_OPT_LEN && len <= DNS_MAX_MSG + DNSMSG_ECS_LEN) {
		if (wire != echo)
			memcpy(echo, wire, len);
		wire = echo;
		len = dnsmsg_ede(echo, sizeof(echo), len, optoff, qm, ede,
		    text);
	}
	if (rp.log_queries)
		qlog(&qm->ctx, qm->qname, qm->qname_len, qm->qtype, v,
		    DNS_RCODE(wire[3]), get16(wire + 6));
	answer_stats(DNS_RCODE(wire[3]), 1);
	if (wire[2] & (DNS_FLAG_TC >> 8))
		rp.stats.truncated++;
	answer_count(v->what, DNS_RCODE(wire[3]), qm->ctx.arrival_us);
	(void)answer_send(&qm->ctx, wire, len);
	/*
	 * Inside a batch of queries the answers go out with one write at its
	 * end; outside (from upstreams, 32 replies a read), at the end of
	 * the pass over the events that made them: either way one write,
	 * and EV_WRITE armed only when the channel is full.
	 */
	if (rp.in_batch || rp.flush_armed)
		return;
	rp.flush_armed = 1;
	event_active(&rp.flush, EV_TIMEOUT, 1);
}

static void
reply_flush_cb(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	rp.flush_armed = 0;
	reply_flush();
}

/* One message of a transfer before its last (reply_answer's). */
void
reply_part(const struct query_msg *qm, const uint8_t *wire,
    size_t len)
{
	struct dnsq_ctx	ctx = qm->ctx;

	ctx.more = 1;
	if (!rp.xfr_cut && !answer_send(&ctx, wire, len))
		rp.xfr_cut = 1;
}

int
reply_ctl_line(const char *line, void *arg)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)line;
	iov.iov_len = strlen(line) + 1;
	reply_ctl(IMSG_CTL_TEXT, *(uint32_t *)arg, &iov, 1);
	return 0;
}

