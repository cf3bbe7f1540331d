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
#include "dname.h"
#include "dnsmsg.h"
#include "dnstap.h"
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
	struct event		 tick;
} res;

static void	resolver_dispatch_parent(int, short, void *);
static void	local_flush(void);
static void	resolver_dispatch_frontend(int, short, void *);
static void	resolver_dispatch_wgwatch(int, short, void *);
static void	resolver_tick(int, short, void *);

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
	dnstap_init(&res.parent, 1);
	sandbox_drop(user, root);
	resolver_sandbox(verbose > 1);

	if ((res.out = ldns_buffer_new(DNS_MAX_MSG)) == NULL)
		fatal("ldns_buffer_new");
	res.local = localdata_new();
	localdata_finish(res.local);
	res.presence = presence_new();
	res.lcache = cache_new(LOCAL_CACHE_SIZE);
	res.policy = policy_new();
	evtimer_set(&res.tick, resolver_tick, NULL);
	resolver_tick(-1, 0, NULL);

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
	struct forwarder_msg	fc;
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
		if ((af != AF_INET && af != AF_INET6) ||
		    memchr(fc.servers[i].tls_name, '\0',
		    sizeof(fc.servers[i].tls_name)) == NULL ||
		    (fc.servers[i].tls && fc.servers[i].tls_name[0] == '\0'))
			fatalx("bad IMSG_RECONF_FORWARDER server");
	}
	/* the CA file, when a server speaks TLS */
	upstream_reconf_group(&fc, imsg->fd);
}

static void
resolver_reconf(const struct imsg *imsg)
{
	struct domain_msg	dc;
	struct rule		*r;

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
		r = policy_add(res.npolicy, imsg);
		if (r->action == MATCH_FORWARD &&
		    (r->group = upstream_group(r->groupname)) == NULL)
			fatalx("match: no forwarder \"%s\"", r->groupname);
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
		reply_set_log(res.main.log_queries);
		dnstap_reconf(&res.main);
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
		reply_init(&res.frontend);
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
		    imsg.hdr.type != IMSG_RECONF_BLOCKFILE &&
		    imsg.hdr.type != IMSG_RECONF_FORWARDER &&
		    imsg.hdr.type != IMSG_DNSTAP_FD)
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
		case IMSG_DNSTAP_FD:
			dnstap_socket(&imsg);
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

static void
resolver_metrics(uint32_t peerid)
{
	struct metrics	m = { reply_ctl_line, &peerid, 0 };

	metric_help(&m, "vpndnsd_local_records", "gauge",
	    "Records of the local data, PTRs made from addresses included.");
	metric_u64(&m, "vpndnsd_local_records", "",
	    localdata_nrecords(res.local));
	reply_metrics(&m);
	upstream_metrics(&m);
	blocklists_metrics(&m);
	presence_metrics(res.presence, time(NULL), &m);
	xfr_metrics(&m);
	update_metrics(&m);
	dnstap_metrics(&m);
}

/*
 * Every second, new serials where the presence records changed (a peer
 * ages past its threshold with no event): old answers go.
 */
static void
resolver_tick(int fd, short event, void *arg)
{
	struct timeval	tv = { 1, 0 };

	(void)fd;
	(void)event;
	(void)arg;
	if (xfr_serials(res.local, res.presence, 0) > 0)
		local_flush();
	evtimer_add(&res.tick, &tv);
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
	reply_copy(&lc, key, ldns_buffer_begin(res.out));
}

/* Local answers may have changed: those kept go, and the copies too. */
static void
local_flush(void)
{
	cache_flush(res.lcache, NULL, 0);
	reply_copies_void();
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
		reply_answer_ede(qm, buf, dnsmsg_blocked(buf, sizeof(buf),
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
	reply_answer_ede(qm, buf, dnsmsg_error(buf, sizeof(buf), qm,
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
	reply_answer(qm, buf, dnsmsg_answer(buf, sizeof(buf), hit.wire,
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
		reply_answer(&qm, buf, dnsmsg_error(buf, sizeof(buf), &qm,
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
	reply_xfr_begin();
	xfr_query(&qm, lname, imsg->data + n, imsg->len - n, res.local,
	    res.presence);
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
	reply_ctl_compose(IMSG_CTL_RESULT, peerid, &r, sizeof(r));
	reply_ctl_compose(IMSG_CTL_END, peerid, NULL, 0);
}

/* A text name to lower-case wire form; -1 when it is not a name. */
static int
name_to_wire(const char *text, uint8_t *out, size_t *len)
{
	struct dname	d;
	char		err[256];

	if (dname_parse(text, &d, err, sizeof(err)) == -1)
		return -1;
	*len = d.len;
	memcpy(out, d.wire, d.len);
	return 0;
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
reply_ctl_linef(uint32_t peerid, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
reply_ctl_linef(uint32_t peerid, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reply_ctl_line(line, &peerid);
}

/*
 * The frontend's part of a lookup, as it decided it: the ACL, then the
 * rate limit on UDP.  Returns 1 when the query ends there.
 */
static int
lookup_frontend(const struct ctl_lookup *lk, uint32_t p)
{
	if (lk->acl == LOOKUP_REFUSED_ACL) {
		reply_ctl_linef(p, "refused (allow from): REFUSED");
		return 1;
	}
	if (lk->acl == LOOKUP_REFUSED_XFR) {
		reply_ctl_linef(p, "refused (transfer to): REFUSED");
		return 1;
	}
	if (lk->rl_rate == 0)
		return 0;
	if (lk->rl_over && lk->rl_slip > 0) {
		reply_ctl_linef(p, "rate-limited (rate-limit %u a second "
		    "for %s, %u this second): no UDP answer, or one in %u "
		    "truncated", lk->rl_rate, lk->rl_prefix, lk->rl_count,
		    lk->rl_slip);
		return 1;
	}
	if (lk->rl_over) {
		reply_ctl_linef(p, "rate-limited (rate-limit %u a second "
		    "for %s, %u this second): no UDP answer", lk->rl_rate,
		    lk->rl_prefix, lk->rl_count);
		return 1;
	}
	reply_ctl_linef(p, "rate-limit %u a second for %s: %u this second",
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
		reply_ctl_linef(p, "\"%s\" is not a domain name", lk.name);
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
	reply_ctl_linef(p, "query %s type %u from %s", lk.name, lk.qtype,
	    sockunion_ntop(&qm.ctx.client));
	if (lookup_frontend(&lk, p))
		return;
	pkt = reply_new(&qm);
	how = presence_answer(res.presence, res.local, lname, len, qm.qtype,
	    time(NULL), pkt) ? "presence name" : localdata_answer(res.local,
	    lname, len, qm.qtype, pkt) ? "local data" : NULL;
	if (how != NULL) {
		reply_ctl_linef(p, "answered from %s: %s, %zu records",
		    how, ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt)),
		    (size_t)ldns_pkt_ancount(pkt));
		ldns_pkt_free(pkt);
		return;
	}
	ldns_pkt_free(pkt);
	if ((r = policy_match(res.policy, &qm.ctx.client, lname, len)) ==
	    NULL) {
		reply_ctl_linef(p, "no match rule fits: REFUSED");
		return;
	}
	for (i = 0; i < r->nblock; i++) {
		const uint8_t	*listed;
		size_t		 llen;

		if ((listed = blocklist_match(r->block[i], lname, len,
		    &llen)) != NULL) {
			reply_ctl_linef(p, "rule %u (line %u): blocked by "
			    "blocklist \"%s\"", r->index, r->line,
			    blocklist_name(r->block[i]));
			return;
		}
	}
	switch (r->action) {
	case MATCH_REFUSE:
		reply_ctl_linef(p, "rule %u (line %u): refuse: REFUSED",
		    r->index, r->line);
		return;
	case MATCH_LOCALONLY:
		reply_ctl_linef(p, "rule %u (line %u): local-only: NXDOMAIN",
		    r->index, r->line);
		return;
	}
	reply_ctl_linef(p, "rule %u (line %u): forward to \"%s\"", r->index,
	    r->line, upstream_group_name(r->group));
	if (upstream_cached(r->group, &qm, lname, &left))
		reply_ctl_linef(p, "cached: answered from the cache, %u s "
		    "left", left);
	else
		reply_ctl_linef(p, "not cached: forwarded to its servers");
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
		reply_ctl_compose(IMSG_CTL_END, imsg->hdr.peerid, NULL, 0);
		return;
	}
	if (imsgev_compose(&res.wgwatch, imsg->hdr.type, imsg->hdr.peerid, -1,
	    NULL, 0) == -1)
		fatal("wgwatch channel");
}

/* show status: our figures, the answers' (reply.c), the upstreams'. */
static void
resolver_status(struct resolver_stats *st)
{
	struct reply_stats	rs;

	reply_totals(&rs);
	*st = res.stats;
	st->queries += rs.queries;
	st->noerror = rs.noerror;
	st->nxdomain = rs.nxdomain;
	st->refused = rs.refused;
	st->servfail = rs.servfail;
	st->truncated = rs.truncated;
	st->dropped = rs.dropped;
	st->records = localdata_nrecords(res.local);
	st->domains = localdata_ndomains(res.local);
	st->peers = presence_npeers(res.presence);
	upstream_totals(st);
}

static void
resolver_ctl(const struct imsg *imsg)
{
	struct resolver_stats	st;
	uint32_t		peerid = imsg->hdr.peerid;
	int			v;

	switch (imsg->hdr.type) {
	case IMSG_CTL_SHOW_STATUS:
		resolver_status(&st);
		reply_ctl_compose(IMSG_CTL_RESOLVER_STATS, peerid, &st,
		    sizeof(st));
		ctl_wgwatch(imsg);
		return;
	case IMSG_CTL_SHOW_METRICS:
		resolver_metrics(peerid);
		ctl_wgwatch(imsg);
		return;
	/* lines are never dropped (ctl_send): none is cut */
	case IMSG_CTL_SHOW_PEERS:
		(void)presence_dump(res.presence, time(NULL), ctl_json(imsg),
		    reply_ctl_line, &peerid);
		break;
	case IMSG_CTL_SHOW_RECORDS:
		(void)localdata_dump(res.local, ctl_json(imsg),
		    reply_ctl_line, &peerid);
		break;
	case IMSG_CTL_SHOW_BLOCKLISTS:
		(void)blocklists_dump(ctl_json(imsg), reply_ctl_line,
		    &peerid);
		break;
	case IMSG_CTL_SHOW_FORWARDERS:
		(void)upstream_dump(ctl_json(imsg), reply_ctl_line, &peerid);
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
	reply_ctl_compose(IMSG_CTL_END, peerid, NULL, 0);
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
	reply_lost();
	/*
	 * Every query gets its answer: when the frontend does not take them
	 * as fast as they come, stop taking queries (they wait in the read
	 * buffer and the socket) until the answers drain.
	 */
	iev->rpaused = 0;
	reply_batch(1);
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
			reply_local_counts(&imsg);
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
	qlog_release();
	reply_batch(0);
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
				(void)xfr_serials(res.local, res.presence, 0);
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
			reply_ctl(imsg.hdr.type, imsg.hdr.peerid, &iov,
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
