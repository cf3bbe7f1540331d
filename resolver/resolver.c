/*
 * The resolver: decides every query the frontend passes on.  For now that
 * is local data (our domains and their records) or REFUSED; the policy,
 * cache and upstreams come later.  Answers are built with ldns into one
 * reused buffer.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cache.h"
#include "dnsmsg.h"
#include "imsgev.h"
#include "log.h"
#include "logrelay.h"
#include "metrics.h"
#include "qlog.h"
#include "resolver.h"
#include "sandbox.h"

static struct {
	struct imsgev		 parent;
	struct imsgev		 frontend;
	struct imsgev		 wgwatch;
	int			 frontend_up;
	int			 wgwatch_up;
	struct localdata	*local;
	struct localdata	*nlocal;	/* being received */
	struct presence		*presence;
	struct policy		*policy;
	struct policy		*npolicy;	/* being received */
	ldns_buffer		*out;
	struct cache		*lcache;	/* local answers, built */
	struct reconf_main	 main;
	struct reconf_main	 nmain;		/* being received */
	struct resolver_stats	 stats;
	int			 in_batch;	/* reading the frontend's */
	int			 copies;	/* the frontend may hold some */
	int			 xfr_cut;	/* a transfer lost a message */
	struct event		 flush;		/* answers out, end of pass */
	int			 flush_armed;
} res;

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

static void	resolver_dispatch_parent(int, short, void *);
static void	local_flush(void);
static int	resolver_ctl_line(const char *, void *);
static void	resolver_dispatch_frontend(int, short, void *);
static void	resolver_dispatch_wgwatch(int, short, void *);
static void	frontend_flush(int, short, void *);

static void
resolver_sandbox(int trap)
{
	scmp_filter_ctx	ctx = sandbox_filter_new(log_procname(), trap);

	sandbox_allow_inet(ctx);
	sandbox_allow(ctx, SCMP_SYS(sendmmsg));	/* upstream queries */
	sandbox_allow(ctx, SCMP_SYS(recvmmsg));
	sandbox_allow_bufferevent(ctx);	/* updates to primaries */
	sandbox_load(ctx);
}

/*
 * A socket per upstream query in flight and a descriptor per blocklist
 * file being read: more than the usual soft limit of 1024.  Raised while
 * still root (beyond the hard limit too, given CAP_SYS_RESOURCE), before
 * the sandbox; half of what we get is for upstream queries.
 */
static void
resolver_nofile(void)
{
	struct rlimit	rl = { RESOLVER_NOFILE, RESOLVER_NOFILE };

	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit");
		if (rl.rlim_max != RLIM_INFINITY &&
		    rl.rlim_max < RESOLVER_NOFILE)
			rl.rlim_cur = rl.rlim_max;
		else
			rl.rlim_cur = RESOLVER_NOFILE;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit");
	}
	if (rl.rlim_cur < RESOLVER_NOFILE)
		log_warnx("%llu descriptors: at most %llu upstream queries in "
		    "flight", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_cur / 2);
	upstream_limit(rl.rlim_cur / 2);
}

void
resolver_main(int debug, int verbose, const char *user, const char *root)
{
	log_init(debug, LOG_DAEMON);
	log_procinit("resolver");
	logrelay_init(PARENT_CHANNEL_FD);
	log_setverbose(verbose);
	setproctitle("resolver");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	event_init();
	evtimer_set(&res.flush, frontend_flush, NULL);
	upstream_init();
	resolver_nofile();
	/*
	 * Blocklist tables come and go whole at each reload: with a fixed
	 * threshold (glibc's moves up to 32 MB) they are always mapped,
	 * so a freed table goes back to the system, not into the heap.
	 */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	/*
	 * Setting that fixes the trim threshold at 128 KB, and forwarding
	 * (cache entries in, evicted ones out) then moved the heap's top
	 * with brk every few hundred queries.
	 */
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	xfr_init();
	sandbox_drop(user, root);
	resolver_sandbox(verbose > 1);

	if ((res.out = ldns_buffer_new(DNS_MAX_MSG)) == NULL)
		fatal("ldns_buffer_new");
	res.local = localdata_new();
	localdata_finish(res.local);
	res.presence = presence_new();
	res.lcache = cache_new(LOCAL_CACHE_SIZE);
	res.policy = policy_new();

	if (fcntl(PARENT_CHANNEL_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	imsgev_init(&res.parent, PARENT_CHANNEL_FD, IMSGBUF_FDS_RECV, CHANNEL_WMAX,
	    resolver_dispatch_parent, NULL);
	logrelay_start(&res.parent);

	event_dispatch();
	fatalx("event loop ended");
}

static void
resolver_reconf_record(const struct imsg *imsg)
{
	struct record_msg	 rm;
	const char		*name, *rdata;

	if (imsg->len < sizeof(rm))
		fatalx("short IMSG_RECONF_RECORD");
	memcpy(&rm, imsg->data, sizeof(rm));
	if (imsg->len != sizeof(rm) + rm.namelen + rm.rdlen ||
	    rm.namelen == 0 || rm.rdlen == 0)
		fatalx("bad IMSG_RECONF_RECORD lengths");
	name = (const char *)imsg->data + sizeof(rm);
	rdata = name + rm.namelen;
	if (name[rm.namelen - 1] != '\0' || rdata[rm.rdlen - 1] != '\0')
		fatalx("IMSG_RECONF_RECORD strings not terminated");
	localdata_add_record(res.nlocal, &rm, name, rdata);
}

static void
resolver_reconf_source(const struct imsg *imsg)
{
	struct source_msg	sm;

	if (imsg->len != sizeof(sm))
		fatalx("bad IMSG_RECONF_SOURCE");
	memcpy(&sm, imsg->data, sizeof(sm));
	if (memchr(sm.name, '\0', sizeof(sm.name)) == NULL ||
	    memchr(sm.domain, '\0', sizeof(sm.domain)) == NULL ||
	    sm.kind >= SRC_KINDS)
		fatalx("bad IMSG_RECONF_SOURCE");
	presence_add_source(res.presence, &sm);
}

static void
resolver_reconf_peername(const struct imsg *imsg)
{
	struct peername_msg	pm;

	if (imsg->len != sizeof(pm))
		fatalx("bad IMSG_RECONF_PEERNAME");
	memcpy(&pm, imsg->data, sizeof(pm));
	if (memchr(pm.source, '\0', sizeof(pm.source)) == NULL ||
	    memchr(pm.key, '\0', sizeof(pm.key)) == NULL ||
	    memchr(pm.name, '\0', sizeof(pm.name)) == NULL ||
	    memchr(pm.display, '\0', sizeof(pm.display)) == NULL ||
	    memchr(pm.domain, '\0', sizeof(pm.domain)) == NULL)
		fatalx("IMSG_RECONF_PEERNAME strings not terminated");
	presence_add_name(res.presence, &pm);
}

static void
resolver_reconf_forwarder(const struct imsg *imsg)
{
	struct forwarder_conf	fc;
	uint32_t		i;
	sa_family_t		af;

	if (imsg->len != sizeof(fc))
		fatalx("bad IMSG_RECONF_FORWARDER");
	memcpy(&fc, imsg->data, sizeof(fc));
	if (memchr(fc.name, '\0', sizeof(fc.name)) == NULL ||
	    fc.nservers == 0 || fc.nservers > FWD_MAX_SERVERS ||
	    fc.timeout_ms == 0)
		fatalx("bad IMSG_RECONF_FORWARDER");
	for (i = 0; i < fc.nservers; i++) {
		af = fc.servers[i].addr.sa.sa_family;
		if (af != AF_INET && af != AF_INET6)
			fatalx("bad IMSG_RECONF_FORWARDER server");
	}
	upstream_reconf_group(&fc);
}

static void
resolver_reconf(const struct imsg *imsg)
{
	struct domain_conf	dc;

	if (imsg->hdr.type != IMSG_RECONF_CONF && res.nlocal == NULL)
		fatalx("configuration message %u outside a transaction",
		    imsg->hdr.type);
	switch (imsg->hdr.type) {
	case IMSG_RECONF_CONF:
		if (imsg->len != sizeof(res.nmain))
			fatalx("bad IMSG_RECONF_CONF");
		memcpy(&res.nmain, imsg->data, sizeof(res.nmain));
		localdata_free(res.nlocal);
		res.nlocal = localdata_new();
		presence_begin(res.presence);
		policy_free(res.npolicy);
		res.npolicy = policy_new();
		upstream_reconf_begin();
		blocklists_reconf_begin();
		break;
	case IMSG_RECONF_DOMAIN:
		if (imsg->len != sizeof(dc))
			fatalx("bad IMSG_RECONF_DOMAIN");
		memcpy(&dc, imsg->data, sizeof(dc));
		if (memchr(dc.name, '\0', sizeof(dc.name)) == NULL ||
		    memchr(dc.nameserver, '\0', sizeof(dc.nameserver)) ==
		    NULL ||
		    memchr(dc.hostmaster, '\0', sizeof(dc.hostmaster)) == NULL)
			fatalx("IMSG_RECONF_DOMAIN strings not terminated");
		localdata_add_domain(res.nlocal, &dc);
		presence_add_domain(res.presence, &dc);
		break;
	case IMSG_RECONF_RECORD:
		resolver_reconf_record(imsg);
		break;
	case IMSG_RECONF_SOURCE:
		resolver_reconf_source(imsg);
		break;
	case IMSG_RECONF_PEERNAME:
		resolver_reconf_peername(imsg);
		break;
	case IMSG_RECONF_FORWARDER:
		resolver_reconf_forwarder(imsg);
		break;
	case IMSG_RECONF_BLOCKLIST:
		blocklists_reconf_list(imsg);
		break;
	case IMSG_RECONF_BLOCKALLOW:
		blocklists_reconf_allow(imsg);
		break;
	case IMSG_RECONF_BLOCKFILE:
		blocklists_reconf_file(imsg);
		break;
	case IMSG_RECONF_MATCH:
		policy_add(res.npolicy, imsg);
		break;
	case IMSG_RECONF_END:
		presence_end(res.presence, res.nlocal);
		presence_ents(res.presence, res.nlocal);
		localdata_finish(res.nlocal);
		localdata_free(res.local);
		res.local = res.nlocal;
		res.nlocal = NULL;
		/* the old rules go before the groups only they used */
		policy_free(res.policy);
		res.policy = res.npolicy;
		res.npolicy = NULL;
		upstream_reconf_end();
		blocklists_reconf_end();
		res.main = res.nmain;
		upstream_set_inflight(res.main.upstream_inflight);
		(void)xfr_serials(res.local, res.presence, 1);
		update_reconf_end(res.presence);
		local_flush();
		log_info("configuration loaded: %zu domains, %zu records",
		    localdata_ndomains(res.local),
		    localdata_nrecords(res.local));
		break;
	}
}

static void
resolver_peer_socket(const struct imsg *imsg)
{
	int	peer;

	if (imsg->fd == -1 || imsg->len != sizeof(peer))
		fatalx("bad IMSG_SOCKET_PEER");
	memcpy(&peer, imsg->data, sizeof(peer));
	if (fcntl(imsg->fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	if (peer == PROC_FRONTEND && !res.frontend_up) {
		imsgev_init(&res.frontend, imsg->fd, 0, CHANNEL_WMAX,
		    resolver_dispatch_frontend, NULL);
		res.frontend_up = 1;
	} else if (peer == PROC_WGWATCH && !res.wgwatch_up) {
		imsgev_init(&res.wgwatch, imsg->fd, 0, CHANNEL_WMAX,
		    resolver_dispatch_wgwatch, NULL);
		res.wgwatch_up = 1;
	} else
		fatalx("bad IMSG_SOCKET_PEER for process %d", peer);
}

static void
resolver_dispatch_parent(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	int		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		if (errno == 0)
			exit(0);	/* the parent is gone: so are we */
		fatal("parent channel");
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		if (imsg.fd != -1 && imsg.hdr.type != IMSG_SOCKET_PEER &&
		    imsg.hdr.type != IMSG_RECONF_BLOCKFILE)
			fatalx("descriptor with message %u", imsg.hdr.type);
		switch (imsg.hdr.type) {
		case IMSG_SOCKET_PEER:
			resolver_peer_socket(&imsg);
			break;
		case IMSG_RECONF_CONF:
		case IMSG_RECONF_DOMAIN:
		case IMSG_RECONF_RECORD:
		case IMSG_RECONF_SOURCE:
		case IMSG_RECONF_PEERNAME:
		case IMSG_RECONF_FORWARDER:
		case IMSG_RECONF_BLOCKLIST:
		case IMSG_RECONF_BLOCKALLOW:
		case IMSG_RECONF_BLOCKFILE:
		case IMSG_RECONF_MATCH:
		case IMSG_RECONF_END:
			resolver_reconf(&imsg);
			break;
		case IMSG_RECONF_XFR:
			xfr_reconf(&imsg);
			break;
		case IMSG_RECONF_UPDATE:
			update_reconf(&imsg);
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

/* A name as the frontend passed it: labels that add up to its length. */
static int
qname_valid(const struct query_msg *qm)
{
	size_t	off = 0;

	while (off < qm->qname_len) {
		if (qm->qname[off] > 63)
			return 0;
		if (qm->qname[off] == 0)
			return off + 1 == qm->qname_len;
		off += 1 + qm->qname[off];
	}
	return 0;
}

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
	    (wire[len - 10] << 8 | wire[len - 9]) != DNS_TYPE_OPT ||
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
 * (resolver_dispatch_frontend).  A TCP client waits for every answer, so
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

	res.stats.dropped++;
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
static void
lost_send(void)
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
		if (imsg_compose(&res.frontend.ibuf, IMSG_TCP_LOST, 0, -1, tl,
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
	if (imsg_composev(&res.frontend.ibuf, IMSG_ANSWER, 0, -1, iov, 2) ==
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
static void
ctl_send(uint16_t type, uint32_t peerid, const struct iovec *iov, int n)
{
	if (imsg_composev_over(&res.frontend.ibuf, type, peerid, iov, n) ==
	    -1)
		fatal("frontend channel");
}

static void
ctl_compose(uint16_t type, uint32_t peerid, const void *data, size_t len)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	ctl_send(type, peerid, &iov, len > 0);
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
		res.stats.noerror += n;
		break;
	case DNS_RCODE_NXDOMAIN:
		res.stats.nxdomain += n;
		break;
	case DNS_RCODE_REFUSED:
		res.stats.refused += n;
		break;
	default:
		res.stats.servfail += n;
		break;
	}
}

/*
 * IMSG_LOCAL_COUNTS: the answers the frontend made from its copies count
 * as the local answers they are, queries included, as if they had come.
 */
static void
local_counts(const struct imsg *imsg)
{
	struct local_counts	lc;
	size_t			k, i = answer_kind(qlog_local.what);

	if (imsg->len != sizeof(lc))
		fatalx("bad IMSG_LOCAL_COUNTS of %zu bytes", imsg->len);
	memcpy(&lc, imsg->data, sizeof(lc));
	for (k = 0; k < 16; k++) {
		answers.kind[i].rcode[k] += lc.rcode[k];
		answer_stats(k, lc.rcode[k]);
		res.stats.queries += lc.rcode[k];
	}
	res.stats.truncated += lc.truncated;
	metric_latency_merge(&answers.latency, &lc.latency);
}

static void
answer_metrics(struct metrics *m)
{
	static const char	*rcodes[16] = { "NOERROR", "FORMERR",
				    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
				    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
				    "NOTZONE" };
	char			 l[METRICS_LINE_MAX], r[8];
	size_t			 i, k;

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

static void
resolver_metrics(uint32_t peerid)
{
	struct metrics	m = { resolver_ctl_line, &peerid, 0 };

	metric_help(&m, "vpndnsd_truncated_total", "counter",
	    "Answers sent with TC set.");
	metric_u64(&m, "vpndnsd_truncated_total", "", res.stats.truncated);
	metric_help(&m, "vpndnsd_answers_dropped_total", "counter",
	    "Answers the resolver made and dropped: the frontend's channel "
	    "was full.");
	metric_u64(&m, "vpndnsd_answers_dropped_total", "", res.stats.dropped);
	metric_help(&m, "vpndnsd_local_records", "gauge",
	    "Records of the local data, PTRs made from addresses included.");
	metric_u64(&m, "vpndnsd_local_records", "",
	    localdata_nrecords(res.local));
	answer_metrics(&m);
	upstream_metrics(&m);
	blocklists_metrics(&m);
	presence_metrics(res.presence, time(NULL), &m);
	xfr_metrics(&m);
	update_metrics(&m);
}

/*
 * An answer to a client, whatever made it, to the frontend (dropped when
 * the channel is full, see answer_send).  Transfers send their messages
 * before the last with resolver_answer_part: once one of them is lost,
 * so is the rest.
 */
void
resolver_answer(const struct query_msg *qm, const uint8_t *wire, size_t len,
    const struct verdict *v)
{
	resolver_answer_ede(qm, wire, len, v, 0, NULL);
}

/*
 * The same, with an Extended DNS Error ('ede', 0 for none) and its
 * extra text: our own decision, told to an EDNS client in our OPT
 * (dnsmsg_ede() keeps the answer within the client's size).
 */
void
resolver_answer_ede(const struct query_msg *qm, const uint8_t *wire,
    size_t len, const struct verdict *v, uint16_t ede, const char *text)
{
	static uint8_t	echo[DNS_MAX_MSG + DNSMSG_ECS_LEN + DNSMSG_EDE_LEN];
	size_t		n, optoff = len - DNSMSG_OPT_LEN;

	if (res.xfr_cut)
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
	if (res.main.log_queries)
		qlog(&qm->ctx, qm->qname, qm->qname_len, qm->qtype, v,
		    DNS_RCODE(wire[3]), wire[6] << 8 | wire[7]);
	answer_stats(DNS_RCODE(wire[3]), 1);
	if (wire[2] & (DNS_FLAG_TC >> 8))
		res.stats.truncated++;
	answer_count(v->what, DNS_RCODE(wire[3]), qm->ctx.arrival_us);
	(void)answer_send(&qm->ctx, wire, len);
	/*
	 * Inside a batch of queries the answers go out with one write at its
	 * end; outside (from upstreams, 32 replies a read), at the end of
	 * the pass over the events that made them: either way one write,
	 * and EV_WRITE armed only when the channel is full.
	 */
	if (res.in_batch || res.flush_armed)
		return;
	res.flush_armed = 1;
	event_active(&res.flush, EV_TIMEOUT, 1);
}

static void
frontend_flush(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	res.flush_armed = 0;
	if (imsgbuf_write(&res.frontend.ibuf) == -1)
		fatal("frontend channel");
	lost_send();
	imsgev_update(&res.frontend);
}

/* One message of a transfer before its last (resolver_answer's). */
void
resolver_answer_part(const struct query_msg *qm, const uint8_t *wire,
    size_t len)
{
	struct dnsq_ctx	ctx = qm->ctx;

	ctx.more = 1;
	if (!res.xfr_cut && !answer_send(&ctx, wire, len))
		res.xfr_cut = 1;
}

/* New serials where the presence records changed: old answers go. */
void
resolver_xfr_tick(void)
{
	if (xfr_serials(res.local, res.presence, 0) > 0)
		local_flush();
}

/*
 * A local answer, built once by ldns and kept a second (presence names
 * change with time, not only with events): later queries for the same
 * name and type are a copy with their id, case, flags and OPT patched
 * in, as for cache hits.  Stored without an OPT and whole; the copy is
 * cut to what the client can take.
 */
static void
local_store(const uint8_t *key, size_t keylen, ldns_pkt *pkt)
{
	struct local_copy	lc;
	struct iovec		iov[3];
	time_t			now = upstream_now();

	ldns_pkt_set_edns_udp_size(pkt, 0);
	ldns_pkt_set_edns_do(pkt, 0);
	ldns_buffer_clear(res.out);
	if (ldns_pkt2buffer_wire(res.out, pkt) != LDNS_STATUS_OK)
		fatalx("ldns_pkt2buffer_wire");
	cache_store(res.lcache, key, keylen, ldns_buffer_begin(res.out),
	    ldns_buffer_position(res.out), NULL, 0, LOCAL_CACHE_TTL, now);
	/* what no UDP client can take whole is no use to the frontend */
	if (ldns_buffer_position(res.out) + DNSMSG_OPT_LEN > EDNS_MAX_UDP)
		return;
	memset(&lc, 0, sizeof(lc));
	lc.stored = now;
	lc.ttl = LOCAL_CACHE_TTL;
	lc.keylen = keylen;
	lc.wlen = ldns_buffer_position(res.out);
	iov[0].iov_base = &lc;
	iov[0].iov_len = sizeof(lc);
	iov[1].iov_base = (void *)(uintptr_t)key;
	iov[1].iov_len = keylen;
	iov[2].iov_base = ldns_buffer_begin(res.out);
	iov[2].iov_len = lc.wlen;
	/* no room: no copy, the next query comes here */
	if (imsg_composev(&res.frontend.ibuf, IMSG_LOCAL_COPY, 0, -1, iov,
	    3) == -1) {
		if (errno != ENOBUFS)
			fatal("frontend channel");
		return;
	}
	res.copies = 1;
}

/*
 * Local answers may have changed: those kept go, and so do the
 * frontend's copies.  The flush travels behind every answer already
 * queued, so no copy outlives it.
 */
static void
local_flush(void)
{
	cache_flush(res.lcache, NULL, 0);
	if (!res.copies)
		return;
	ctl_send(IMSG_LOCAL_FLUSH, 0, NULL, 0);
	res.copies = 0;
	/* no answer may follow soon to carry it: its own write */
	imsgev_update(&res.frontend);
}

/* A rule's blocklists, in its order: the first that blocks answers. */
static int
resolver_blocked(const struct rule *r, const struct query_msg *qm,
    const uint8_t *lname)
{
	static uint8_t	 buf[DNS_HEADER_SIZE + 2 * DNS_MAX_NAME + 64 +
			    DNSMSG_OPT_LEN];
	const uint8_t	*listed;
	struct bl_addr	 addr;
	struct verdict	 v = { "blocked by", NULL, NULL };
	char		 text[DNSMSG_EDE_TEXT];
	size_t		 i, llen;
	uint32_t	 kind;

	for (i = 0; i < r->nblock; i++) {
		if ((listed = blocklist_match(r->block[i], lname,
		    qm->qname_len, &llen)) == NULL)
			continue;
		kind = blocklist_answer(r->block[i], &addr);
		res.stats.blocked++;
		v.name = blocklist_name(r->block[i]);
		snprintf(text, sizeof(text), "blocklist \"%s\"", v.name);
		resolver_answer_ede(qm, buf, dnsmsg_blocked(buf, sizeof(buf),
		    qm, kind, &addr, listed, llen), &v, EDE_BLOCKED, text);
		return 1;
	}
	return 0;
}

/*
 * What local data does not answer, the first rule that fits decides:
 * forward to a group, refuse, or (local-only) say the name does not
 * exist.  No rule: REFUSED.  No ldns here: this is the path of every
 * forwarded query and every cache hit.
 */
static void
resolver_policy(const struct query_msg *qm, const uint8_t *lname)
{
	static uint8_t		 buf[DNS_HEADER_SIZE + DNS_MAX_NAME + 4 +
				    DNSMSG_OPT_LEN];
	static const struct verdict norule = { "no rule", NULL, NULL };
	static const struct verdict refuse = { "refused by rule", NULL, NULL };
	static const struct verdict localonly = { "local-only", NULL, NULL };
	const struct rule	*r;
	const struct verdict	*v = &norule;
	int			 rcode = DNS_RCODE_REFUSED;
	uint16_t		 ede = EDE_NOT_AUTHORITATIVE;
	char			 text[DNSMSG_EDE_TEXT] = "no match rule";

	r = policy_match(res.policy, &qm->ctx.client, lname, qm->qname_len);
	if (r != NULL && resolver_blocked(r, qm, lname))
		return;
	if (r != NULL && r->action == MATCH_FORWARD) {
		upstream_query(r->group, qm, lname);
		return;
	}
	if (r != NULL && r->action == MATCH_LOCALONLY) {
		rcode = DNS_RCODE_NXDOMAIN;
		v = &localonly;
		ede = 0;
	} else if (r != NULL) {
		v = &refuse;
		ede = EDE_PROHIBITED;
		snprintf(text, sizeof(text), "match rule %u refuses it",
		    r->index);
	}
	resolver_answer_ede(qm, buf, dnsmsg_error(buf, sizeof(buf), qm,
	    rcode), v, ede, text);
}

/* Local data answers for its zones, presence also for reverse names. */
static int
resolver_local(const struct query_msg *qm, const uint8_t *lname)
{
	static uint8_t		 buf[DNS_MAX_MSG + DNSMSG_OPT_LEN];
	uint8_t			 key[CACHE_KEY_MAX];
	size_t			 keylen;
	struct cache_hit	 hit;
	ldns_pkt		*pkt;

	if (qm->qtype != LDNS_RR_TYPE_PTR &&
	    !localdata_covers(res.local, lname, qm->qname_len))
		return 0;
	keylen = cache_key_local(key, qm->qtype, qm->qclass, lname,
	    qm->qname_len);
	if (!cache_lookup(res.lcache, key, keylen, upstream_now(), 0, &hit)) {
		pkt = reply_new(qm);
		if (!presence_answer(res.presence, res.local, lname,
		    qm->qname_len, qm->qtype, time(NULL), pkt) &&
		    !localdata_answer(res.local, lname, qm->qname_len,
		    qm->qtype, pkt)) {
			ldns_pkt_free(pkt);
			return 0;
		}
		local_store(key, keylen, pkt);
		ldns_pkt_free(pkt);
		hit.wire = ldns_buffer_begin(res.out);
		hit.wlen = ldns_buffer_position(res.out);
	}
	resolver_answer(qm, buf, dnsmsg_answer(buf, sizeof(buf), hit.wire,
	    hit.wlen, NULL, 0, qm, 0, DNSMSG_LOCAL), &qlog_local);
	return 1;
}

/*
 * The query at the start of an IMSG_QUERY or IMSG_XFR: the fixed part
 * and the name the frontend parsed.  Returns the bytes it took.
 */
static size_t
query_msg_get(const struct imsg *imsg, struct query_msg *qm)
{
	size_t	hdr = offsetof(struct query_msg, qname);

	if (imsg->len < hdr + 1)
		fatalx("a query message of %zu bytes", imsg->len);
	memcpy(qm, imsg->data, hdr + 1);
	if (imsg->len < hdr + qm->qname_len)
		fatalx("a query message of %zu bytes", imsg->len);
	memcpy(qm, imsg->data, hdr + qm->qname_len);
	if (!qname_valid(qm))
		fatalx("a query message with a malformed name");
	return hdr + qm->qname_len;
}

static void
resolver_query(const struct imsg *imsg)
{
	static const struct verdict notin = { "not IN", NULL, NULL };
	static uint8_t		 buf[DNS_HEADER_SIZE + DNS_MAX_NAME + 4 +
				    DNSMSG_OPT_LEN];
	struct query_msg	 qm;
	uint8_t			 lname[DNS_MAX_NAME];

	if (query_msg_get(imsg, &qm) != imsg->len)
		fatalx("bad IMSG_QUERY of %zu bytes", imsg->len);
	/* the frontend sends transfers as IMSG_XFR, with their TSIG */
	if (qm.qtype == LDNS_RR_TYPE_AXFR || qm.qtype == LDNS_RR_TYPE_IXFR)
		fatalx("a transfer as IMSG_QUERY");
	res.stats.queries++;

	if (qm.qclass != LDNS_RR_CLASS_IN) {
		resolver_answer(&qm, buf, dnsmsg_error(buf, sizeof(buf), &qm,
		    DNS_RCODE_REFUSED), &notin);
		return;
	}
	dnsmsg_lower(lname, qm.qname, qm.qname_len);
	if (!resolver_local(&qm, lname))
		resolver_policy(&qm, lname);
}

/* IMSG_XFR: the query as IMSG_QUERY has it, then its whole wire form. */
static void
resolver_xfr(const struct imsg *imsg)
{
	struct query_msg	 qm;
	uint8_t			 lname[DNS_MAX_NAME];
	size_t			 n = query_msg_get(imsg, &qm);

	if (imsg->len < n + DNS_HEADER_SIZE || imsg->len > n + DNS_MAX_MSG)
		fatalx("bad IMSG_XFR of %zu bytes", imsg->len);
	res.stats.queries++;
	dnsmsg_lower(lname, qm.qname, qm.qname_len);
	xfr_query(&qm, lname, imsg->data + n, imsg->len - n, res.local,
	    res.presence);
	res.xfr_cut = 0;
}

static int
resolver_ctl_line(const char *line, void *arg)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)line;
	iov.iov_len = strlen(line) + 1;
	ctl_send(IMSG_CTL_TEXT, *(uint32_t *)arg, &iov, 1);
	return 0;
}

static void
resolver_ctl_result(uint32_t peerid, int ok, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
resolver_ctl_result(uint32_t peerid, int ok, const char *fmt, ...)
{
	struct ctl_result	r;
	va_list			ap;

	memset(&r, 0, sizeof(r));
	r.ok = ok;
	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	ctl_compose(IMSG_CTL_RESULT, peerid, &r, sizeof(r));
	ctl_compose(IMSG_CTL_END, peerid, NULL, 0);
}

/* A text name to lower-case wire form; -1 when it is not a name. */
static int
name_to_wire(const char *text, uint8_t *out, size_t *len)
{
	ldns_rdf	*rdf;
	int		 rc = -1;

	if (ldns_str2rdf_dname(&rdf, text) != LDNS_STATUS_OK)
		return -1;
	ldns_dname2canonical(rdf);
	if (ldns_rdf_size(rdf) <= DNS_MAX_NAME) {
		*len = ldns_rdf_size(rdf);
		memcpy(out, ldns_rdf_data(rdf), *len);
		rc = 0;
	}
	ldns_rdf_deep_free(rdf);
	return rc;
}

/* flush: every cache; a group's ("GROUP"); a name in all ("NAME"). */
static void
resolver_ctl_flush(const struct imsg *imsg)
{
	char	arg[DNAME_TEXT_MAX];
	uint8_t	name[DNS_MAX_NAME];
	size_t	len;

	if (imsg->len != sizeof(arg))
		fatalx("bad IMSG_CTL_FLUSH");
	memcpy(arg, imsg->data, sizeof(arg));
	if (memchr(arg, '\0', sizeof(arg)) == NULL)
		fatalx("IMSG_CTL_FLUSH not terminated");
	if (arg[0] == '\0')
		resolver_ctl_result(imsg->hdr.peerid, 1, "flushed %zu entries",
		    upstream_flush(NULL, NULL, 0));
	else if (upstream_group(arg) != NULL)
		resolver_ctl_result(imsg->hdr.peerid, 1, "flushed %zu entries "
		    "of forwarder \"%s\"", upstream_flush(arg, NULL, 0), arg);
	else if (name_to_wire(arg, name, &len) == 0)
		resolver_ctl_result(imsg->hdr.peerid, 1, "flushed %zu entries "
		    "for %s", upstream_flush(NULL, name, len), arg);
	else
		resolver_ctl_result(imsg->hdr.peerid, 0, "\"%s\" is neither a "
		    "forwarder nor a domain name", arg);
}

static void
resolver_ctl_linef(uint32_t peerid, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
resolver_ctl_linef(uint32_t peerid, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	resolver_ctl_line(line, &peerid);
}

/*
 * The frontend's part of a lookup, as it decided it: the ACL, then the
 * rate limit on UDP.  Returns 1 when the query ends there.
 */
static int
lookup_frontend(const struct ctl_lookup *lk, uint32_t p)
{
	if (lk->acl == LOOKUP_REFUSED_ACL) {
		resolver_ctl_linef(p, "refused (allow from): REFUSED");
		return 1;
	}
	if (lk->acl == LOOKUP_REFUSED_XFR) {
		resolver_ctl_linef(p, "refused (transfer to): REFUSED");
		return 1;
	}
	if (lk->rl_rate == 0)
		return 0;
	if (lk->rl_over && lk->rl_slip > 0) {
		resolver_ctl_linef(p, "rate-limited (rate-limit %u a second "
		    "for %s, %u this second): no UDP answer, or one in %u "
		    "truncated", lk->rl_rate, lk->rl_prefix, lk->rl_count,
		    lk->rl_slip);
		return 1;
	}
	if (lk->rl_over) {
		resolver_ctl_linef(p, "rate-limited (rate-limit %u a second "
		    "for %s, %u this second): no UDP answer", lk->rl_rate,
		    lk->rl_prefix, lk->rl_count);
		return 1;
	}
	resolver_ctl_linef(p, "rate-limit %u a second for %s: %u this second",
	    lk->rl_rate, lk->rl_prefix, lk->rl_count);
	return 0;
}

/*
 * lookup: what would happen to this query from this client, step by
 * step, as resolver_query decides it, without asking anyone.
 */
static void
resolver_ctl_lookup(const struct imsg *imsg)
{
	struct ctl_lookup	 lk;
	struct query_msg	 qm;
	uint8_t			 lname[DNS_MAX_NAME];
	size_t			 len;
	uint32_t		 left, p = imsg->hdr.peerid;
	const struct rule	*r;
	ldns_pkt		*pkt;
	const char		*how;
	size_t			 i;

	if (imsg->len != sizeof(lk))
		fatalx("bad IMSG_CTL_LOOKUP");
	memcpy(&lk, imsg->data, sizeof(lk));
	lk.name[sizeof(lk.name) - 1] = '\0';
	if (name_to_wire(lk.name, lname, &len) == -1) {
		resolver_ctl_linef(p, "\"%s\" is not a domain name", lk.name);
		return;
	}
	lk.rl_prefix[sizeof(lk.rl_prefix) - 1] = '\0';
	/* the frontend set the client, and what it decides */
	if ((lk.from.sa.sa_family != AF_INET &&
	    lk.from.sa.sa_family != AF_INET6) || lk.acl > LOOKUP_REFUSED_XFR)
		fatalx("bad IMSG_CTL_LOOKUP");
	memset(&qm, 0, sizeof(qm));
	qm.ctx.client = lk.from;
	qm.qtype = lk.qtype;
	qm.qclass = LDNS_RR_CLASS_IN;
	qm.qname_len = len;
	memcpy(qm.qname, lname, len);
	resolver_ctl_linef(p, "query %s type %u from %s", lk.name, lk.qtype,
	    sockunion_ntop(&qm.ctx.client));
	if (lookup_frontend(&lk, p))
		return;
	pkt = reply_new(&qm);
	how = presence_answer(res.presence, res.local, lname, len, qm.qtype,
	    time(NULL), pkt) ? "presence name" : localdata_answer(res.local,
	    lname, len, qm.qtype, pkt) ? "local data" : NULL;
	if (how != NULL) {
		resolver_ctl_linef(p, "answered from %s: %s, %zu records",
		    how, ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt)),
		    (size_t)ldns_pkt_ancount(pkt));
		ldns_pkt_free(pkt);
		return;
	}
	ldns_pkt_free(pkt);
	if ((r = policy_match(res.policy, &qm.ctx.client, lname, len)) ==
	    NULL) {
		resolver_ctl_linef(p, "no match rule fits: REFUSED");
		return;
	}
	for (i = 0; i < r->nblock; i++) {
		const uint8_t	*listed;
		size_t		 llen;

		if ((listed = blocklist_match(r->block[i], lname, len,
		    &llen)) != NULL) {
			resolver_ctl_linef(p, "rule %u (line %u): blocked by "
			    "blocklist \"%s\"", r->index, r->line,
			    blocklist_name(r->block[i]));
			return;
		}
	}
	switch (r->action) {
	case MATCH_REFUSE:
		resolver_ctl_linef(p, "rule %u (line %u): refuse: REFUSED",
		    r->index, r->line);
		return;
	case MATCH_LOCALONLY:
		resolver_ctl_linef(p, "rule %u (line %u): local-only: NXDOMAIN",
		    r->index, r->line);
		return;
	}
	resolver_ctl_linef(p, "rule %u (line %u): forward to \"%s\"", r->index,
	    r->line, upstream_group_name(r->group));
	if (upstream_cached(r->group, &qm, lname, &left))
		resolver_ctl_linef(p, "cached: answered from the cache, %u s "
		    "left", left);
	else
		resolver_ctl_linef(p, "not cached: forwarded to its servers");
}

/* A listing's request: empty, or a uint32_t that asks for JSON. */
static int
ctl_json(const struct imsg *imsg)
{
	uint32_t	json;

	if (imsg->len == 0)
		return 0;
	if (imsg->len != sizeof(json))
		fatalx("bad control request %u", imsg->hdr.type);
	memcpy(&json, imsg->data, sizeof(json));
	return json != 0;
}

/*
 * wgwatch adds its figures to status and metrics and ends the reply;
 * at start-up, before its channel is here, the reply ends without them.
 */
static void
ctl_wgwatch(const struct imsg *imsg)
{
	if (!res.wgwatch_up) {
		ctl_compose(IMSG_CTL_END, imsg->hdr.peerid, NULL, 0);
		return;
	}
	if (imsgev_compose(&res.wgwatch, imsg->hdr.type, imsg->hdr.peerid, -1,
	    NULL, 0) == -1)
		fatal("wgwatch channel");
}

static void
resolver_ctl(const struct imsg *imsg)
{
	uint32_t	peerid = imsg->hdr.peerid;
	int		v;

	switch (imsg->hdr.type) {
	case IMSG_CTL_SHOW_STATUS:
		res.stats.records = localdata_nrecords(res.local);
		res.stats.domains = localdata_ndomains(res.local);
		res.stats.peers = presence_npeers(res.presence);
		upstream_totals(&res.stats);
		ctl_compose(IMSG_CTL_RESOLVER_STATS, peerid, &res.stats,
		    sizeof(res.stats));
		ctl_wgwatch(imsg);
		return;
	case IMSG_CTL_SHOW_METRICS:
		resolver_metrics(peerid);
		ctl_wgwatch(imsg);
		return;
	/* lines are never dropped (ctl_send): none is cut */
	case IMSG_CTL_SHOW_PEERS:
		(void)presence_dump(res.presence, time(NULL), ctl_json(imsg),
		    resolver_ctl_line, &peerid);
		break;
	case IMSG_CTL_SHOW_RECORDS:
		(void)localdata_dump(res.local, ctl_json(imsg),
		    resolver_ctl_line, &peerid);
		break;
	case IMSG_CTL_SHOW_BLOCKLISTS:
		(void)blocklists_dump(ctl_json(imsg), resolver_ctl_line,
		    &peerid);
		break;
	case IMSG_CTL_SHOW_FORWARDERS:
		(void)upstream_dump(ctl_json(imsg), resolver_ctl_line, &peerid);
		break;
	case IMSG_CTL_FLUSH:
		resolver_ctl_flush(imsg);
		return;
	case IMSG_CTL_LOOKUP:
		resolver_ctl_lookup(imsg);
		break;
	case IMSG_CTL_LOG_VERBOSE:
		if (imsg->len != sizeof(v))
			fatalx("bad IMSG_CTL_LOG_VERBOSE");
		memcpy(&v, imsg->data, sizeof(v));
		log_setverbose(v);
		return;
	}
	ctl_compose(IMSG_CTL_END, peerid, NULL, 0);
}

static void
resolver_dispatch_frontend(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	int		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		if (errno == 0)
			fatalx("the frontend closed its channel");
		fatal("frontend channel");
	}
	lost_send();
	/*
	 * Every query gets its answer: when the frontend does not take them
	 * as fast as they come, stop taking queries (they wait in the read
	 * buffer and the socket) until the answers drain.
	 */
	iev->rpaused = 0;
	res.in_batch = 1;
	for (;;) {
		if (imsgev_congested(iev)) {
			if (imsgbuf_write(&iev->ibuf) == -1)
				fatal("frontend channel");
			/* paused implies output queued: EV_WRITE resumes */
			if ((iev->rpaused = imsgev_congested(iev)))
				break;
		}
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1)
			fatal("frontend channel");
		if (n == 0)
			break;
		/* one clock reading for a run of queries, not for the rest */
		if (imsg.hdr.type == IMSG_QUERY)
			qlog_hold();
		else
			qlog_release();
		switch (imsg.hdr.type) {
		case IMSG_QUERY:
			resolver_query(&imsg);
			break;
		case IMSG_XFR:
			resolver_xfr(&imsg);
			break;
		case IMSG_LOCAL_COUNTS:
			local_counts(&imsg);
			break;
		case IMSG_CTL_SHOW_STATUS:
		case IMSG_CTL_SHOW_METRICS:
		case IMSG_CTL_SHOW_RECORDS:
		case IMSG_CTL_SHOW_PEERS:
		case IMSG_CTL_SHOW_FORWARDERS:
		case IMSG_CTL_SHOW_BLOCKLISTS:
		case IMSG_CTL_FLUSH:
		case IMSG_CTL_LOOKUP:
		case IMSG_CTL_LOG_VERBOSE:
			resolver_ctl(&imsg);
			break;
		default:
			fatalx("unexpected message %u from the frontend",
			    imsg.hdr.type);
		}
	}
	/* answers go out with one write per batch of queries */
	res.in_batch = 0;
	qlog_release();
	if (imsgbuf_write(&iev->ibuf) == -1)
		fatal("frontend channel");
	imsgev_update(iev);
}

static void
resolver_dispatch_wgwatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	struct iovec	 iov;
	int		 n;

	(void)fd;
	if (imsgev_io(iev, event) == -1) {
		if (errno == 0)
			fatalx("wgwatch closed its channel");
		fatal("wgwatch channel");
	}
	while ((n = imsg_get(&iev->ibuf, &imsg)) > 0) {
		switch (imsg.hdr.type) {
		case IMSG_PEERS_START:
		case IMSG_PEER:
		case IMSG_PEER_GONE:
		case IMSG_PEERS_DONE:
		case IMSG_SOURCE_GONE:
			/* a peer's name may answer otherwise now */
			if (presence_peers(res.presence, &imsg, res.local,
			    time(NULL))) {
				local_flush();
				resolver_xfr_tick();
			}
			break;
		case IMSG_CTL_SOURCE_STATS:
			if (imsg.len != sizeof(struct source_stats))
				fatalx("bad IMSG_CTL_SOURCE_STATS");
			/* FALLTHROUGH */
		case IMSG_CTL_TEXT:
		case IMSG_CTL_END:
			iov.iov_base = (void *)(uintptr_t)imsg.data;
			iov.iov_len = imsg.len;
			ctl_send(imsg.hdr.type, imsg.hdr.peerid, &iov,
			    imsg.len > 0);
			imsgev_update(&res.frontend);
			break;
		default:
			fatalx("unexpected message %u from wgwatch",
			    imsg.hdr.type);
		}
	}
	if (n == -1)
		fatal("wgwatch channel");
	imsgev_update(iev);
}
