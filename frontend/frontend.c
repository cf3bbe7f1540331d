/*
 * The frontend: reads queries from UDP and TCP clients, answers what it can
 * decide alone (malformed queries, other opcodes, the ACL) and hands the
 * rest to the resolver.  It holds no privilege: an empty chroot, an
 * unprivileged user and a seccomp allow-list.
 *
 * The client a query speaks for is the address it came from, unless that
 * is a trusted proxy (its PROXY v2 header names the client) or a trusted
 * sender of EDNS Client Subnet (the option's subnet is the client).  The
 * ACL, the resolver's rules and the query log see that client; replies go
 * to the peer.
 *
 * The UDP path allocates nothing per query: datagrams are read in batches
 * into static buffers, the reply context travels with the query to the
 * resolver and back, and answers are sent straight from the channel's
 * read buffer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "dnsmsg.h"
#include "dnstap.h"
#include "dnswire.h"
#include "frontend.h"
#include "log.h"
#include "logrelay.h"
#include "metrics.h"
#include "proxyv2.h"
#include "qlog.h"
#include "ratelimit.h"
#include "sandbox.h"

#define UDP_BATCH		32
#define UDP_BUFSIZE		4096
#define UDP_ROUNDS		8	/* batches per wakeup, for fairness */
#define LISTENERS_MAX		64
#define TCP_OUTPUT_MAX		(256 * 1024)	/* then reading is held */
#define TCP_UNREAD_MAX		(4 * 1024 * 1024)	/* then closed */
#define TCP_UNREAD_TOTAL	(12 * 1024 * 1024)	/* all: stalled ones */
#define TCP_UNREAD_HARD		(16 * 1024 * 1024)	/* all: any */
#define TCP_STALL_US		200000	/* no drain that long: not reading */
#define TCP_ACCEPT_ROUNDS	16
/* room for a reply of our own or a copied answer cut for UDP */
#define UDP_REPLY_MAX		EDNS_MAX_UDP

struct listener {
	struct event	 ev;
	union sockunion	 addr;
	int		 fd;
	int		 tcp;
	int		 wildcard;
};

struct tcpconn {
	TAILQ_ENTRY(tcpconn)	 lru;	/* least recently active first */
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *outcb;
	uint64_t		 drained_us;	/* output last went out, or came */
	struct event		 msgtimer;	/* tcp message-timeout */
	struct dnsq_ctx		 ctx;	/* each query's, ECS aside */
	union sockunion		 from;	/* the peer, unmapped */
	union sockunion		 local;	/* its listener's; 0: a wildcard */
	int			 proxy;	/* a PROXY header is owed */
	uint32_t		 slot;
	uint32_t		 gen;
	uint32_t		 inflight;
	int			 held;	/* reading paused: at a limit */
	int			 xfr;	/* a secondary: transfers are big */
	int			 eof;	/* the client is done sending */
};

struct udp_out {
	struct mmsghdr	 msgs[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	union sockunion	 to[UDP_BATCH];
	uint8_t		 cmsg[UDP_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	uint8_t		 buf[UDP_BATCH][UDP_REPLY_MAX];
	int		 n;
	int		 fd;
};

struct udp_in {
	struct mmsghdr	 msgs[UDP_BATCH];
	struct iovec	 iov[UDP_BATCH];
	union sockunion	 from[UDP_BATCH];
	uint8_t		 cmsg[UDP_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	uint8_t		 buf[UDP_BATCH][UDP_BUFSIZE];
};

static struct {
	struct listener		 listeners[LISTENERS_MAX];
	size_t			 nlisteners;
	struct reconf_main	 main;
	struct reconf_main	 nmain;		/* being received */
	struct tcpconn		**conns;
	TAILQ_HEAD(, tcpconn)	 lru;
	size_t			 tcp_out;	/* queued to all connections */
	uint32_t		*gens;
	uint32_t		*freeslots;
	uint32_t		 nfree;
	uint32_t		 nextslot;
	uint32_t		 nconns;
	uint64_t		 round_copies;	/* in this recvmmsg's batch */
} fe;

static struct udp_in	udp_in;
static struct udp_out	udp_out;

static void	frontend_dispatch_parent(int, short, void *);
static void	frontend_dispatch_resolver(int, short, void *);
static void	frontend_udp_read(int, short, void *);
static void	frontend_tcp_accept(int, short, void *);
static void	tcp_readcb(struct bufferevent *, void *);
static void	tcp_free(struct tcpconn *);
static void	tcp_touch(struct tcpconn *);

static void
frontend_sandbox(int trap)
{
	scmp_filter_ctx	ctx = sandbox_filter_new(log_procname(), trap);

	sandbox_deny_connect(ctx);
	sandbox_allow(ctx, SCMP_SYS(accept4));
	sandbox_allow(ctx, SCMP_SYS(recvmmsg));
	sandbox_allow(ctx, SCMP_SYS(sendmmsg));
	sandbox_allow(ctx, SCMP_SYS(shutdown));
	sandbox_allow_bufferevent(ctx);
	sandbox_load(ctx);
}

/* Descriptors for every connection the limits allow, before the sandbox. */
static void
frontend_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_max < TCP_SLOTS_MAX + 256) {
		rl.rlim_cur = rl.rlim_max = TCP_SLOTS_MAX + 256;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
		/* no CAP_SYS_RESOURCE: the hard limit it is */
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit");
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("setrlimit");
}

void
frontend_main(int debug, int verbose, const char *user, const char *root)
{
	log_init(debug, LOG_DAEMON);
	log_procinit("frontend");
	logrelay_init(PARENT_CHANNEL_FD);
	log_setverbose(verbose);
	setproctitle("frontend");

	frontend_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	event_init();
	copies_init();
	dnstap_init(chan_parent(), 0);
	sandbox_drop(user, root);
	frontend_sandbox(verbose > 1);

	TAILQ_INIT(&fe.lru);
	fe.conns = calloc(TCP_SLOTS_MAX, sizeof(*fe.conns));
	fe.gens = calloc(TCP_SLOTS_MAX, sizeof(*fe.gens));
	fe.freeslots = calloc(TCP_SLOTS_MAX, sizeof(*fe.freeslots));
	if (fe.conns == NULL || fe.gens == NULL || fe.freeslots == NULL)
		fatal("calloc");
	reconf_main_defaults(&fe.main);

	if (fcntl(PARENT_CHANNEL_FD, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	chan_open_parent(PARENT_CHANNEL_FD, frontend_dispatch_parent);
	logrelay_start(chan_parent());

	event_dispatch();
	fatalx("event loop ended");
}

static void
frontend_add_listener(const struct imsg *imsg, int tcp)
{
	struct listen_msg	 lm;
	struct listener		*l;

	if (imsg->fd == -1 || imsg->len != sizeof(lm))
		fatalx("bad listen message");
	if (fe.nlisteners == LISTENERS_MAX)
		fatalx("more than %d listening sockets", LISTENERS_MAX);
	memcpy(&lm, imsg->data, sizeof(lm));
	l = &fe.listeners[fe.nlisteners++];
	l->fd = imsg->fd;
	l->addr = lm.addr;
	l->tcp = tcp;
	l->wildcard = sockunion_is_wildcard(&lm.addr);
	event_set(&l->ev, l->fd, EV_READ | EV_PERSIST,
	    tcp ? frontend_tcp_accept : frontend_udp_read, l);
	if (event_add(&l->ev, NULL) == -1)
		fatal("event_add");
	log_debug("listening on %s (%s)", sockunion_ntop(&l->addr),
	    tcp ? "tcp" : "udp");
}

static void
frontend_reconf(const struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_RECONF_CONF:
		if (imsg->len != sizeof(fe.nmain))
			fatalx("bad IMSG_RECONF_CONF");
		memcpy(&fe.nmain, imsg->data, sizeof(fe.nmain));
		acl_reconf_begin();
		break;
	case IMSG_RECONF_PREFIX:
		acl_reconf_prefix(imsg);
		break;
	case IMSG_RECONF_END:
		fe.main = fe.nmain;
		acl_reconf_end(&fe.main);
		dnstap_reconf(&fe.main);
		break;
	}
}

static void
frontend_dispatch_parent(int fd, short event, void *arg)
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
		switch (imsg.hdr.type) {
		case IMSG_SOCKET_PEER:
			if (imsg.fd == -1 || imsg.len != sizeof(int) ||
			    *(const int *)imsg.data != PROC_RESOLVER)
				fatalx("bad IMSG_SOCKET_PEER");
			if (fcntl(imsg.fd, F_SETFL, O_NONBLOCK) == -1)
				fatal("fcntl");
			chan_open_resolver(imsg.fd,
			    frontend_dispatch_resolver);
			break;
		case IMSG_LISTEN_UDP:
		case IMSG_LISTEN_TCP:
			frontend_add_listener(&imsg,
			    imsg.hdr.type == IMSG_LISTEN_TCP);
			break;
		case IMSG_CONTROL_FD:
			if (imsg.fd == -1)
				fatalx("bad IMSG_CONTROL_FD");
			control_init(imsg.fd);
			break;
		case IMSG_METRICS_FD:
			if (imsg.fd == -1)
				fatalx("bad IMSG_METRICS_FD");
			http_init(imsg.fd);
			break;
		case IMSG_STARTUP:
			stats_startup(&imsg);
			break;
		case IMSG_RECONF_CONF:
		case IMSG_RECONF_PREFIX:
		case IMSG_RECONF_END:
			frontend_reconf(&imsg);
			break;
		case IMSG_CTL_RESULT:
		case IMSG_CTL_END:
			control_relay(&imsg);
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
		if (imsg.fd != -1 && imsg.hdr.type != IMSG_SOCKET_PEER &&
		    imsg.hdr.type != IMSG_DNSTAP_FD &&
		    imsg.hdr.type != IMSG_LISTEN_UDP &&
		    imsg.hdr.type != IMSG_LISTEN_TCP &&
		    imsg.hdr.type != IMSG_CONTROL_FD &&
		    imsg.hdr.type != IMSG_METRICS_FD)
			fatalx("descriptor with message %u", imsg.hdr.type);
	}
	if (n == -1)
		fatal("parent channel");
	imsgev_update(iev);
}

/*
 * dnstap: a client's query or our answer.  The client is the one a
 * PROXY header named, or the peer; a trusted sender's ECS option names
 * a subnet, not an address, and stays in the message itself.  'local'
 * is our address, NULL when unknown (a wildcard's TCP connection).
 */
static void
frontend_dnstap(int type, const struct dnsq_ctx *ctx,
    const union sockunion *local, const uint8_t *msg, size_t len)
{
	struct dnstap_msg	m;

	if (!dnstap_wanted())
		return;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.proto = ctx->tcp ? DNSTAP_TCP : DNSTAP_UDP;
	m.query_addr = ctx->via == VIA_ECS ? &ctx->sender : &ctx->client;
	m.response_addr = local;
	m.query_us = ctx->arrival_us;
	m.response_us = type == DNSTAP_CLIENT_RESPONSE ? qlog_now() : 0;
	m.msg = msg;
	m.len = len;
	dnstap_log(&m);
}

/* Our address for a UDP query: the listener's, or where it went to. */
static const union sockunion *
udp_local(const struct dnsq_ctx *ctx, union sockunion *su)
{
	const struct listener	*l = &fe.listeners[ctx->conn];

	if (!ctx->has_local)
		return l->wildcard ? NULL : &l->addr;
	*su = l->addr;
	if (su->sa.sa_family == AF_INET)
		su->sin.sin_addr = ctx->local.v4;
	else
		su->sin6.sin6_addr = ctx->local.v6;
	return su;
}

static void
udp_out_flush(void)
{
	int	sent = 0, rc;

	while (sent < udp_out.n) {
		rc = sendmmsg(udp_out.fd, udp_out.msgs + sent,
		    udp_out.n - sent, 0);
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				fe_stats.dropped += udp_out.n - sent;
				break;
			}
			/* that one datagram cannot go; the others may */
			log_debug("sendmmsg to %s: %s",
			    sockunion_ntop(&udp_out.to[sent]), strerror(errno));
			fe_stats.dropped++;
			sent++;
			continue;
		}
		sent += rc;
	}
	udp_out.n = 0;
}

static void
udp_out_pktinfo(struct msghdr *mh, uint8_t *cbuf, const struct dnsq_ctx *ctx)
{
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	mh->msg_control = cbuf;
	if (ctx->peer.sa.sa_family == AF_INET) {
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = ctx->local.v4;
		pi.ipi_ifindex = ctx->ifindex;
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		mh->msg_controllen = CMSG_SPACE(sizeof(pi6));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi6));
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = ctx->local.v6;
		pi6.ipi6_ifindex = ctx->ifindex;
		memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
	}
}

/*
 * Queue a datagram.  'data' must stay valid until udp_out_flush(): it is
 * either one of udp_out's own buffers or the resolver channel's read
 * buffer, which is flushed before the channel is read again.
 */
static void
udp_out_add(int fd, const struct dnsq_ctx *ctx, const void *data, size_t len)
{
	struct msghdr	*mh;
	union sockunion	 su;
	int		 i;

	if (dnstap_wanted())
		frontend_dnstap(DNSTAP_CLIENT_RESPONSE, ctx, udp_local(ctx, &su),
		    data, len);
	if (udp_out.n == UDP_BATCH || (udp_out.n > 0 && udp_out.fd != fd))
		udp_out_flush();
	i = udp_out.n++;
	udp_out.fd = fd;
	udp_out.to[i] = ctx->peer;
	udp_out.iov[i].iov_base = (void *)(uintptr_t)data;
	udp_out.iov[i].iov_len = len;
	mh = &udp_out.msgs[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &udp_out.to[i];
	mh->msg_namelen = sockunion_len(&udp_out.to[i]);
	mh->msg_iov = &udp_out.iov[i];
	mh->msg_iovlen = 1;
	if (ctx->has_local)
		udp_out_pktinfo(mh, udp_out.cmsg[i], ctx);
}

/* The buffer of the next datagram to 'fd', UDP_REPLY_MAX bytes. */
static uint8_t *
udp_out_buf(int fd)
{
	if (udp_out.n == UDP_BATCH || (udp_out.n > 0 && udp_out.fd != fd))
		udp_out_flush();
	return udp_out.buf[udp_out.n];
}

/* Queue a reply the frontend writes itself; it goes out at the flush. */
static void
udp_reply(int fd, const struct dnsq_ctx *ctx, const struct dns_query *q,
    int rcode, int tc)
{
	uint8_t	*buf = udp_out_buf(fd);
	size_t	 len;

	len = dnswire_reply(q, rcode, buf, UDP_REPLY_MAX);
	if (tc)
		buf[2] |= DNS_FLAG_TC >> 8;
	udp_out_add(fd, ctx, buf, len);
}

static void
udp_get_local(struct msghdr *mh, struct dnsq_ctx *ctx)
{
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			ctx->local.v4 = pi.ipi_addr;
			ctx->ifindex = pi.ipi_ifindex;
			ctx->has_local = 1;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			ctx->local.v6 = pi6.ipi6_addr;
			ctx->ifindex = pi6.ipi6_ifindex;
			ctx->has_local = 1;
		}
	}
}

/* A parsed query as the resolver and dnsmsg_answer() take it. */
static void
query_msg_fill(struct query_msg *qm, const struct dns_query *q,
    const struct dnsq_ctx *ctx)
{
	qm->ctx = *ctx;
	qm->id = q->id;
	qm->flags = q->flags;
	qm->qtype = q->qtype;
	qm->qclass = q->qclass;
	qm->edns_size = q->edns ? q->edns_size : 0;
	qm->edns_do = q->edns_do;
	qm->qname_len = q->qname_len;
	memcpy(qm->qname, q->qname, q->qname_len);
}

/*
 * Hand a good query to the resolver.  Only the used part of the name
 * travels; a transfer's whole query ('pkt') follows it, for its TSIG.
 * Returns -1 when the channel is full (the query is dropped).
 */
static int
frontend_send_query(const struct dns_query *q, const struct dnsq_ctx *ctx,
    const uint8_t *pkt, size_t len)
{
	struct query_msg	qm;
	struct iovec		iov[2];
	int			xfr = q->qtype == DNS_TYPE_AXFR ||
				    q->qtype == DNS_TYPE_IXFR;

	query_msg_fill(&qm, q, ctx);
	iov[0].iov_base = &qm;
	iov[0].iov_len = offsetof(struct query_msg, qname) + q->qname_len;
	iov[1].iov_base = (void *)(uintptr_t)pkt;
	iov[1].iov_len = len;
	if (chan_query(xfr ? IMSG_XFR : IMSG_QUERY, iov, xfr ? 2 : 1) == -1) {
		fe_stats.dropped++;
		return -1;
	}
	return 0;
}

/* The query log's line for a reply the frontend writes itself. */
static void
frontend_qlog(const struct dnsq_ctx *ctx, const struct dns_query *q,
    int rcode)
{
	static const struct verdict acl = { "refused by the ACL", NULL, NULL };
	static const struct verdict busy = { "resolver busy", NULL, NULL };
	static const struct verdict bad = { "malformed", NULL, NULL };

	if (!fe.main.log_queries)
		return;
	qlog(ctx, q->qname, q->qname_len, q->qtype, rcode == DNS_RCODE_REFUSED ?
	    &acl : rcode == DNS_RCODE_SERVFAIL ? &busy : &bad, rcode, 0);
}

/*
 * A PROXY v2 header from a trusted proxy: the client it names goes into
 * 'ctx'.  Returns the header's length, 0 when a stream must bring more,
 * or -1 when the header is missing or bad (counted, logged).
 */
static ssize_t
frontend_proxy(const uint8_t *p, size_t len, int stream, struct dnsq_ctx *ctx)
{
	static long long	 last;
	struct proxyv2		 pv;
	const char		*why = NULL;

	switch (proxyv2_parse(p, len, stream, &pv, &why)) {
	case PROXYV2_SHORT:
		return 0;
	case PROXYV2_BAD:
		fe_stats.proxy_refused++;
		if (log_ratelimit(&last))
			log_warnx("%s from proxy %s refused: %s",
			    stream ? "connection" : "datagram",
			    sockunion_ntop(&ctx->peer), why);
		return -1;
	case PROXYV2_OK:
		break;
	}
	fe_stats.proxied++;
	if (!pv.local) {
		/* LOCAL is the proxy's own health check: the peer asks */
		ctx->client = pv.src;
		(void)sockunion_unmap(&ctx->client);
		ctx->via = VIA_PROXY;
		ctx->proxied = 1;
	}
	return pv.len;
}

/*
 * What the frontend decides alone.  Returns the rcode of a reply it writes
 * itself, -1 for silence, or 0 when the resolver must answer.  A trusted
 * sender's ECS names the client in 'ctx' before the ACL is asked.
 */
static int
frontend_verdict(const uint8_t *pkt, size_t len, struct dnsq_ctx *ctx,
    struct dns_query *q)
{
	switch (dnswire_parse_query(pkt, len, q)) {
	case DNSWIRE_OK:
		break;
	case DNSWIRE_DROP:
		fe_stats.dropped++;
		return -1;
	case DNSWIRE_FORMERR:
		fe_stats.formerr++;
		return DNS_RCODE_FORMERR;
	case DNSWIRE_NOTIMP:
		fe_stats.notimp++;
		return DNS_RCODE_NOTIMP;
	case DNSWIRE_BADVERS:
		fe_stats.badvers++;
		return DNS_RCODE_BADVERS;
	}
	if (q->ecs && acl_match(PLIST_ECS, &ctx->client)) {
		ctx->sender = ctx->client;
		ctx->client = q->ecs_addr;
		ctx->via = VIA_ECS;
		ctx->ecs_len = q->ecs_len;
		/* mapped only when the prefix covers the ffff too */
		if (q->ecs_len >= 96 && sockunion_unmap(&ctx->client)) {
			ctx->ecs_len -= 96;
			ctx->ecs_mapped = 1;
		}
		fe_stats.ecs_clients++;
	}
	if (!acl_match(PLIST_ALLOW, &ctx->client) ||
	    ((q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR) &&
	    !acl_match(PLIST_TRANSFER, &ctx->client))) {
		fe_stats.refused_acl++;
		return DNS_RCODE_REFUSED;
	}
	return 0;
}

/*
 * Over rate-limit, a query gets no answer or, one in slip, an empty one
 * with TC.  Counted before the resolver sees the query: an answer the
 * client will not get is not worth making.  Returns 1 when it is done.
 */
static int
udp_ratelimited(struct listener *l, const struct dnsq_ctx *ctx,
    const struct dns_query *q, uint64_t now)
{
	static long long	 last;

	const struct ratelimit	*rl = acl_ratelimiter();

	switch (acl_ratelimit(&ctx->client, now / 1000000)) {
	case RL_PASS:
		return 0;
	case RL_SLIP:
		fe_stats.rrl_slipped++;
		udp_reply(l->fd, ctx, q, 0, 1);
		break;
	case RL_DROP:
		fe_stats.rrl_dropped++;
		break;
	}
	if (log_ratelimit(&last))
		log_warnx("answers to %s over %u a second (rate-limit): "
		    "dropped, or truncated one in %u",
		    ratelimit_prefix(rl, &ctx->client), rl->rate, rl->slip);
	return 1;
}

/*
 * The resolver decides local answers before any policy, the same for
 * every client, and sends a copy of each one it builds: until the copy
 * expires or the resolver says local answers changed, the question is
 * answered here as the resolver would (id, case, flags and OPT patched
 * in), without the round trip.  A query whose client a trusted ECS
 * named goes to the resolver, which echoes the option.  Returns 1 when
 * it answered.
 */
static int
udp_copy(struct listener *l, const struct dnsq_ctx *ctx,
    const struct dns_query *q, uint64_t now)
{
	struct query_msg	 qm;
	const uint8_t		*wire;
	uint8_t			 key[CACHE_KEY_MAX], *buf;
	size_t			 keylen, wlen, len;
	int			 rcode;

	if (ctx->via == VIA_ECS)
		return 0;
	keylen = cache_key_local(key, q->qtype, q->qclass, q->qname,
	    q->qname_len);
	if ((wire = copies_find(key, keylen, now / 1000000, &wlen)) == NULL)
		return 0;
	query_msg_fill(&qm, q, ctx);
	buf = udp_out_buf(l->fd);
	len = dnsmsg_answer(buf, UDP_REPLY_MAX, wire, wlen, NULL, 0, &qm, 0,
	    DNSMSG_LOCAL);
	rcode = DNS_RCODE(buf[3]);
	chan_count_copy(rcode, (buf[2] & (DNS_FLAG_TC >> 8)) != 0);
	fe.round_copies++;
	fe_stats.copied++;
	if (fe.main.log_queries)
		qlog(ctx, q->qname, q->qname_len, q->qtype, &qlog_local, rcode,
		    buf[6] << 8 | buf[7]);
	udp_out_add(l->fd, ctx, buf, len);
	return 1;
}

static void
frontend_udp_packet(struct listener *l, int i, size_t len, uint64_t now)
{
	struct msghdr		*mh = &udp_in.msgs[i].msg_hdr;
	struct dnsq_ctx		 ctx;
	struct dns_query	 q;
	const uint8_t		*pkt = udp_in.buf[i];
	union sockunion		 su;
	ssize_t			 hlen;
	int			 rcode;

	fe_stats.udp_queries++;
	if (mh->msg_flags & MSG_TRUNC) {
		fe_stats.dropped++;
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = ctx.peer = udp_in.from[i];
	(void)sockunion_unmap(&ctx.client);
	ctx.conn = l - fe.listeners;
	ctx.arrival_us = now;
	if (l->wildcard)
		udp_get_local(mh, &ctx);
	if (acl_match(PLIST_PROXY, &ctx.client)) {
		/* required from a trusted proxy, in every datagram */
		if ((hlen = frontend_proxy(pkt, len, 0, &ctx)) == -1)
			return;
		pkt += hlen;
		len -= hlen;
	}
	rcode = frontend_verdict(pkt, len, &ctx, &q);
	if (rcode == -1)
		return;
	if (dnstap_wanted())
		frontend_dnstap(DNSTAP_CLIENT_QUERY, &ctx, l->wildcard ?
		    udp_local(&ctx, &su) : &l->addr, pkt, len);
	if (udp_ratelimited(l, &ctx, &q, now))
		return;
	if (rcode > 0) {
		udp_reply(l->fd, &ctx, &q, rcode, 0);
		frontend_qlog(&ctx, &q, rcode);
	} else if (!udp_copy(l, &ctx, &q, now))
		frontend_send_query(&q, &ctx, pkt, len);
}

static void
frontend_udp_read(int fd, short event, void *arg)
{
	struct listener	*l = arg;
	struct msghdr	*mh;
	uint64_t	 now;
	int		 i, n, round;

	(void)event;
	for (round = 0; round < UDP_ROUNDS; round++) {
		for (i = 0; i < UDP_BATCH; i++) {
			mh = &udp_in.msgs[i].msg_hdr;
			udp_in.iov[i].iov_base = udp_in.buf[i];
			udp_in.iov[i].iov_len = UDP_BUFSIZE;
			mh->msg_name = &udp_in.from[i];
			mh->msg_namelen = sizeof(udp_in.from[i]);
			mh->msg_iov = &udp_in.iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = l->wildcard ? udp_in.cmsg[i] : NULL;
			mh->msg_controllen = l->wildcard ?
			    sizeof(udp_in.cmsg[i]) : 0;
			mh->msg_flags = 0;
		}
		n = recvmmsg(fd, udp_in.msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("recvmmsg on %s",
				    sockunion_ntop(&l->addr));
			break;
		}
		now = qlog_now();
		for (i = 0; i < n; i++)
			frontend_udp_packet(l, i, udp_in.msgs[i].msg_len, now);
		/* made, as the resolver's answers are timed, not yet sent */
		if (fe.round_copies > 0) {
			chan_count_latency((qlog_now() - now) / 1e6,
			    fe.round_copies);
			fe.round_copies = 0;
		}
		udp_out_flush();
		chan_flush_resolver();
		if (n < UDP_BATCH)
			break;
	}
}

static void
tcp_send(struct tcpconn *c, const void *data, size_t len)
{
	uint8_t	lenbuf[2];

	lenbuf[0] = len >> 8;
	lenbuf[1] = len & 0xff;
	if (bufferevent_write(c->bev, lenbuf, 2) == -1 ||
	    bufferevent_write(c->bev, data, len) == -1)
		fatalx("bufferevent_write");
}

static int
tcp_at_limit(struct tcpconn *c)
{
	return c->inflight >= fe.main.tcp_inflight ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    TCP_OUTPUT_MAX;
}

/*
 * Close once the client is done sending, every query it sent has been
 * answered and the answers are out.  Returns 1 when it closed.
 */
static int
tcp_maybe_close(struct tcpconn *c)
{
	if (!c->eof || c->held || c->inflight > 0 ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return 0;
	tcp_free(c);
	return 1;
}

/* Returns -1 when the connection was closed. */
static int
tcp_query(struct tcpconn *c, const uint8_t *pkt, size_t len)
{
	struct dnsq_ctx		ctx = c->ctx;
	struct dns_query	q;
	uint8_t			reply[DNSWIRE_REPLY_MAX];
	int			rcode;

	fe_stats.tcp_queries++;
	ctx.arrival_us = qlog_now();
	rcode = frontend_verdict(pkt, len, &ctx, &q);
	if (rcode == -1) {
		/* not a query: this is not a DNS client */
		tcp_free(c);
		return -1;
	}
	frontend_dnstap(DNSTAP_CLIENT_QUERY, &ctx, c->local.sa.sa_family ?
	    &c->local : NULL, pkt, len);
	if (rcode == 0) {
		if (frontend_send_query(&q, &ctx, pkt, len) == 0) {
			c->inflight++;
			return 0;
		}
		/* a TCP client waits for every answer: tell it now */
		rcode = DNS_RCODE_SERVFAIL;
	}
	frontend_qlog(&ctx, &q, rcode);
	len = dnswire_reply(&q, rcode, reply, sizeof(reply));
	frontend_dnstap(DNSTAP_CLIENT_RESPONSE, &ctx, c->local.sa.sa_family ?
	    &c->local : NULL, reply, len);
	tcp_send(c, reply, len);
	return 0;
}

/*
 * A trusted proxy's connection starts with its header, once for every
 * query on it.  Returns 1 once it is read, 0 to wait for more, -1 when
 * the connection was closed.
 */
static int
tcp_read_proxy(struct tcpconn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 n = evbuffer_get_length(in);
	const uint8_t	*p;
	ssize_t		 hlen;

	if (n > PROXYV2_MAX)
		n = PROXYV2_MAX;
	if (n == 0 || (p = evbuffer_pullup(in, n)) == NULL)
		return 0;
	if ((hlen = frontend_proxy(p, n, 1, &c->ctx)) == -1) {
		tcp_free(c);
		return -1;
	}
	if (hlen == 0)
		return 0;
	evbuffer_drain(in, hlen);
	c->proxy = 0;
	return 1;
}

/*
 * A message begun (or a PROXY header) must be whole within tcp
 * message-timeout of its first byte, or of the message before it: the
 * idle timeout starts again with every byte read, so without this a
 * client sending a byte a second would hold its connection for ever.
 */
static void
tcp_msg_timer(struct tcpconn *c, int restart)
{
	struct timeval	tv;

	if (c->held || evbuffer_get_length(bufferevent_get_input(c->bev)) ==
	    0) {
		evtimer_del(&c->msgtimer);
		return;
	}
	if (!restart && evtimer_pending(&c->msgtimer, NULL))
		return;
	tv.tv_sec = fe.main.tcp_msgtimeout;
	tv.tv_usec = 0;
	evtimer_add(&c->msgtimer, &tv);
}

static void
tcp_msg_timeout(int fd, short event, void *arg)
{
	static long long	 last;
	struct tcpconn		*c = arg;

	(void)fd;
	(void)event;
	fe_stats.tcp_slow++;
	if (log_ratelimit(&last))
		log_warnx("tcp connection from %s closed: a message not whole "
		    "after %u s (tcp message-timeout)",
		    sockunion_ntop(&c->ctx.peer), fe.main.tcp_msgtimeout);
	tcp_free(c);
}

/*
 * Take the whole queries buffered so far, until a limit holds the rest.
 * Returns -1 when the connection was closed.
 */
static int
tcp_read_queries(struct tcpconn *c)
{
	static uint8_t	 msg[DNS_MAX_MSG];
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	uint8_t		 lenbuf[2];
	size_t		 len;
	int		 rc, taken = 0;

	if (c->proxy && (rc = tcp_read_proxy(c)) != 1) {
		if (rc == 0)
			tcp_msg_timer(c, 0);
		return rc;
	}
	for (;;) {
		if (tcp_at_limit(c)) {
			/* held, not dropped: resumed as answers go out */
			bufferevent_disable(c->bev, EV_READ);
			c->held = 1;
			break;
		}
		if (evbuffer_copyout(in, lenbuf, 2) < 2)
			break;
		len = lenbuf[0] << 8 | lenbuf[1];
		if (len < DNS_HEADER_SIZE) {
			tcp_free(c);
			return -1;
		}
		if (evbuffer_get_length(in) < 2 + len)
			break;
		evbuffer_drain(in, 2);
		if (evbuffer_remove(in, msg, len) != (int)len)
			fatalx("evbuffer_remove");
		if (tcp_query(c, msg, len) == -1)
			return -1;
		taken = 1;
	}
	tcp_msg_timer(c, taken);
	chan_flush_resolver();
	return 0;
}

static void
tcp_readcb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	tcp_touch(arg);
	tcp_read_queries(arg);
}

/* Returns -1 when the connection was closed. */
static int
tcp_resume(struct tcpconn *c)
{
	if (!c->held || tcp_at_limit(c))
		return 0;
	c->held = 0;
	if (!c->eof)
		bufferevent_enable(c->bev, EV_READ);
	return tcp_read_queries(c);
}

static void
tcp_writecb(struct bufferevent *bev, void *arg)
{
	struct tcpconn	*c = arg;

	(void)bev;
	if (tcp_resume(c) == -1)
		return;
	tcp_maybe_close(c);
}

static void
tcp_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct tcpconn	*c = arg;

	if (what & BEV_EVENT_EOF) {
		c->eof = 1;
		bufferevent_disable(bev, EV_READ);
		tcp_maybe_close(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    c->inflight > 0) {
		/* idle only while nothing is owed to the client */
		bufferevent_enable(bev, EV_READ);
		return;
	}
	tcp_free(c);
}

static void
tcp_free(struct tcpconn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_remove_cb_entry(out, c->outcb);
	fe.tcp_out -= evbuffer_get_length(out);
	TAILQ_REMOVE(&fe.lru, c, lru);
	evtimer_del(&c->msgtimer);
	fe.conns[c->slot] = NULL;
	fe.gens[c->slot]++;
	fe.freeslots[fe.nfree++] = c->slot;
	fe.nconns--;
	fe_stats.tcp_open = fe.nconns;
	bufferevent_free(c->bev);
	free(c);
}

/* What all connections have queued, and when each last drained some. */
static void
tcp_outcb(struct evbuffer *out, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct tcpconn	*c = arg;

	(void)out;
	fe.tcp_out += info->n_added;
	fe.tcp_out -= info->n_deleted;
	/* how long its oldest answer has waited with nothing going out */
	if (info->n_deleted > 0 || info->orig_size == 0)
		c->drained_us = qlog_now();
}

/* Activity: the connection goes to the end of the eviction order. */
static void
tcp_touch(struct tcpconn *c)
{
	TAILQ_REMOVE(&fe.lru, c, lru);
	TAILQ_INSERT_TAIL(&fe.lru, c, lru);
}

static void
tcp_close_unread(struct tcpconn *c, const char *why)
{
	static long long	last;

	fe_stats.tcp_unread++;
	if (log_ratelimit(&last))
		log_warnx("tcp connection from %s closed: %s",
		    sockunion_ntop(&c->from), why);
	tcp_free(c);
}

/*
 * Answers a client does not read stay with us: a connection past
 * TCP_UNREAD_MAX is closed (but one taking a transfer, which the
 * transfer ACL and its key allowed), and while all of them together
 * hold more than TCP_UNREAD_TOTAL, the one whose output has gone longest
 * without draining is closed, if that is TCP_STALL_US (a reader drains
 * all the time); past TCP_UNREAD_HARD, whatever it is.  Returns -1 when
 * that closed 'c'.
 */
static int
tcp_bound(struct tcpconn *c)
{
	struct tcpconn	*v, *victim;
	uint32_t	 i;
	int		 closed = 0;

	if (!c->xfr && evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    TCP_UNREAD_MAX) {
		tcp_close_unread(c, "answers not read (too many queued)");
		return -1;
	}
	while (fe.tcp_out > TCP_UNREAD_TOTAL) {
		victim = NULL;
		for (i = 0; i < fe.nextslot; i++) {
			if ((v = fe.conns[i]) == NULL || evbuffer_get_length(
			    bufferevent_get_output(v->bev)) == 0)
				continue;
			if (victim == NULL || v->drained_us < victim->drained_us)
				victim = v;
		}
		if (victim == NULL)
			fatalx("%zu bytes queued to no connection", fe.tcp_out);
		/* readers all: let them have the room up to the hard bound */
		if (qlog_now() - victim->drained_us < TCP_STALL_US &&
		    fe.tcp_out <= TCP_UNREAD_HARD)
			break;
		closed |= victim == c;
		tcp_close_unread(victim,
		    "answers not read (all connections' queues full)");
	}
	return closed ? -1 : 0;
}

/* 'client' is the peer, unmapped */
static void
tcp_new(const struct listener *l, int s, const union sockunion *peer,
    const union sockunion *client)
{
	struct tcpconn	*c;
	struct timeval	 tv;
	uint32_t	 slot;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("tcp connection from %s", sockunion_ntop(peer));
		close(s);
		return;
	}
	slot = fe.nfree > 0 ? fe.freeslots[--fe.nfree] : fe.nextslot++;
	c->slot = slot;
	c->gen = fe.gens[slot];
	c->ctx.peer = *peer;
	c->ctx.client = c->from = *client;
	if (!l->wildcard)
		c->local = l->addr;
	c->ctx.tcp = 1;
	c->ctx.conn = slot;
	c->ctx.gen = c->gen;
	c->proxy = acl_match(PLIST_PROXY, client);
	c->bev = bufferevent_socket_new(NULL, s, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(c->bev, tcp_readcb, tcp_writecb, tcp_eventcb, c);
	if ((c->outcb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    tcp_outcb, c)) == NULL)
		fatalx("evbuffer_add_cb");
	c->drained_us = qlog_now();
	TAILQ_INSERT_TAIL(&fe.lru, c, lru);
	evtimer_set(&c->msgtimer, tcp_msg_timeout, c);
	/* never buffer more than two whole messages of input */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 * (2 + DNS_MAX_MSG));
	tv.tv_sec = fe.main.tcp_idle;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ);
	fe.conns[slot] = c;
	fe.nconns++;
	fe_stats.tcp_open = fe.nconns;
	fe_stats.tcp_connections++;
}

static int
sockunion_same_addr(const union sockunion *a, const union sockunion *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&a->sin6.sin6_addr, &b->sin6.sin6_addr);
}

/*
 * The table is full: the connection idle longest (nothing owed to it,
 * nothing queued, nothing half read) makes room for a new one, so that
 * idle connections cannot lock TCP clients out (RFC 7766 6.2.3).
 * Returns 1 when one was closed.
 */
static int
tcp_evict(void)
{
	static long long	 last;
	struct tcpconn		*c;

	TAILQ_FOREACH(c, &fe.lru, lru)
		if (c->inflight == 0 && !c->xfr && evbuffer_get_length(
		    bufferevent_get_output(c->bev)) == 0 && evbuffer_get_length(
		    bufferevent_get_input(c->bev)) == 0)
			break;
	if (c == NULL)
		return 0;
	fe_stats.tcp_evicted++;
	if (log_ratelimit(&last))
		log_warnx("tcp connection from %s closed: the longest idle "
		    "when the table was full (tcp max-connections)",
		    sockunion_ntop(&c->from));
	tcp_free(c);
	return 1;
}

/*
 * Why a new connection from 'client' (the peer, unmapped) is refused, or
 * NULL.  A trusted proxy speaks for many clients, so only the total
 * limits it.  The count walks the open connections: accepting is rare
 * next to reading, and this keeps no table a client could grow.
 */
static const char *
tcp_refuse(const union sockunion *client)
{
	const struct tcpconn	*c;
	uint32_t		 i, n = 0;

	if (!acl_match(PLIST_PROXY, client))
		for (i = 0; i < fe.nextslot; i++)
			if ((c = fe.conns[i]) != NULL &&
			    sockunion_same_addr(&c->from, client) &&
			    ++n >= fe.main.tcp_perclient)
				return "too many connections from it "
				    "(tcp max-per-client)";
	if (fe.nconns >= fe.main.tcp_maxconn && !tcp_evict())
		return "too many connections (tcp max-connections), none idle";
	return NULL;
}

static void
frontend_tcp_accept(int fd, short event, void *arg)
{
	static long long	 last;
	struct listener		*l = arg;
	union sockunion		 su, client;
	socklen_t		 len;
	const char		*why;
	int			 s, i;

	(void)event;
	for (i = 0; i < TCP_ACCEPT_ROUNDS; i++) {
		len = sizeof(su);
		s = accept4(fd, &su.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED &&
			    log_ratelimit(&last))
				log_warn("accept on %s",
				    sockunion_ntop(&l->addr));
			return;
		}
		client = su;
		(void)sockunion_unmap(&client);
		if ((why = tcp_refuse(&client)) != NULL) {
			close(s);
			fe_stats.tcp_refused++;
			if (log_ratelimit(&last))
				log_warnx("tcp connection from %s refused: %s",
				    sockunion_ntop(&client), why);
			continue;
		}
		tcp_new(l, s, &su, &client);
	}
}

static void
tcp_answer(const struct dnsq_ctx *ctx, const uint8_t *wire, size_t len)
{
	struct tcpconn	*c;

	if (ctx->conn >= TCP_SLOTS_MAX ||
	    (c = fe.conns[ctx->conn]) == NULL || c->gen != ctx->gen)
		return;		/* the client left meanwhile */
	tcp_touch(c);
	c->xfr |= ctx->more;
	frontend_dnstap(DNSTAP_CLIENT_RESPONSE, ctx, c->local.sa.sa_family ?
	    &c->local : NULL, wire, len);
	tcp_send(c, wire, len);
	if (tcp_bound(c) == -1 || ctx->more)
		return;		/* a transfer's messages: one query */
	c->inflight--;
	if (tcp_resume(c) == -1)
		return;
	tcp_maybe_close(c);
}

static void
frontend_answer(const struct imsg *imsg)
{
	struct dnsq_ctx	 ctx;
	const uint8_t	*wire = imsg->data + sizeof(ctx);
	size_t		 len;

	if (imsg->len < sizeof(ctx) + DNS_HEADER_SIZE ||
	    imsg->len > sizeof(ctx) + DNS_MAX_MSG)
		fatalx("bad IMSG_ANSWER of %zu bytes", imsg->len);
	memcpy(&ctx, imsg->data, sizeof(ctx));
	len = imsg->len - sizeof(ctx);
	fe_stats.answers++;
	if (ctx.tcp) {
		tcp_answer(&ctx, wire, len);
		return;
	}
	if (ctx.conn >= fe.nlisteners || fe.listeners[ctx.conn].tcp)
		fatalx("answer for listener %u", ctx.conn);
	udp_out_add(fe.listeners[ctx.conn].fd, &ctx, wire, len);
}

/* The resolver could not pass these connections an answer they wait for. */
static void
frontend_tcp_lost(const struct imsg *imsg)
{
	static long long	 last;
	struct tcp_lost		 tl;
	struct tcpconn		*c;
	size_t			 i;

	if (imsg->len == 0 || imsg->len % sizeof(tl) != 0 ||
	    imsg->len / sizeof(tl) > TCP_LOST_MAX)
		fatalx("bad IMSG_TCP_LOST of %zu bytes", imsg->len);
	for (i = 0; i < imsg->len / sizeof(tl); i++) {
		memcpy(&tl, imsg->data + i * sizeof(tl), sizeof(tl));
		if (tl.conn >= TCP_SLOTS_MAX)
			fatalx("IMSG_TCP_LOST for connection %u", tl.conn);
		if ((c = fe.conns[tl.conn]) == NULL || c->gen != tl.gen)
			continue;
		fe_stats.tcp_lost++;
		if (log_ratelimit(&last))
			log_warnx("tcp connection from %s closed: the resolver "
			    "was too busy to answer it", sockunion_ntop(
			    &c->ctx.peer));
		tcp_free(c);
	}
}

static void
frontend_local_copy(const struct imsg *imsg)
{
	struct local_copy	 lc;
	const uint8_t		*key;

	if (imsg->len < sizeof(lc))
		fatalx("bad IMSG_LOCAL_COPY of %zu bytes", imsg->len);
	memcpy(&lc, imsg->data, sizeof(lc));
	key = (const uint8_t *)imsg->data + sizeof(lc);
	/* dnsmsg_answer() writes the client's name over the question's */
	if (imsg->len != sizeof(lc) + lc.keylen + lc.wlen ||
	    lc.keylen <= CACHE_KEY_NAME ||
	    lc.keylen > CACHE_KEY_NAME + DNS_MAX_NAME ||
	    lc.wlen < DNS_HEADER_SIZE + lc.keylen - CACHE_KEY_NAME + 4 ||
	    lc.wlen > EDNS_MAX_UDP || lc.ttl == 0)
		fatalx("bad IMSG_LOCAL_COPY");
	copies_store(&lc, key, key + lc.keylen);
}

static void
frontend_dispatch_resolver(int fd, short event, void *arg)
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
		case IMSG_ANSWER:
			frontend_answer(&imsg);
			break;
		case IMSG_LOCAL_COPY:
			frontend_local_copy(&imsg);
			break;
		case IMSG_LOCAL_FLUSH:
			if (imsg.len != 0)
				fatalx("bad IMSG_LOCAL_FLUSH");
			copies_flush();
			break;
		case IMSG_TCP_LOST:
			frontend_tcp_lost(&imsg);
			break;
		case IMSG_CTL_RESOLVER_STATS:
		case IMSG_CTL_SOURCE_STATS:
		case IMSG_CTL_TEXT:
		case IMSG_CTL_RESULT:
		case IMSG_CTL_END:
			/* a reply to a metrics request over HTTP, or control */
			if (imsg.hdr.peerid & HTTP_PEERID)
				http_relay(&imsg);
			else
				control_relay(&imsg);
			break;
		default:
			fatalx("unexpected message %u from the resolver",
			    imsg.hdr.type);
		}
	}
	if (n == -1)
		fatal("resolver channel");
	/* answers point into the channel's buffer: out before reading on */
	udp_out_flush();
	imsgev_update(iev);
}
