/*
 * What the processes of vpndnsd share: message types, the fixed-size
 * structs they carry, limits and the configuration.
 */
#ifndef VPNDNSD_H
#define VPNDNSD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "metrics.h"

/*
 * libbsd's RB_GENERATE_STATIC names an __unused it leaves undefined, and
 * not every generated function is used everywhere.
 */
#define RB_GENERATE_STATIC_UNUSED(name, type, field, cmp)		\
	RB_GENERATE_INTERNAL(name, type, field, cmp,			\
	    __attribute__((__unused__)) static)

#define VPNDNSD_VERSION		"0.1.0"
#define VPNDNSD_CONF		"/etc/vpndnsd.conf"
#define VPNDNSD_SOCKET		"/run/vpndnsd.sock"
#define VPNDNSD_PIDFILE		"/run/vpndnsd.pid"
#define VPNDNSD_USER		"_vpndnsd"
#define VPNDNSD_CHROOT		"/var/empty"

/* The channel every child finds its parent on after the re-exec. */
#define PARENT_CHANNEL_FD	3

#define DNS_PORT		53
#define DNS_HEADER_SIZE		12
#define DNS_MAX_NAME		255
#define DNS_MAX_UDP		512
#define EDNS_MAX_UDP		1232
#define DNS_MAX_MSG		65535

#define DNS_FLAG_QR		0x8000
#define DNS_FLAG_AA		0x0400
#define DNS_FLAG_TC		0x0200
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_AD		0x0020
#define DNS_FLAG_CD		0x0010
#define DNS_OPCODE(f)		(((f) >> 11) & 0x0f)
#define DNS_OPCODE_MASK		0x7800
#define DNS_RCODE(f)		((f) & 0x000f)

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5
#define DNS_RCODE_BADVERS	16

#define DNS_TYPE_OPT		41
#define DNS_TYPE_IXFR		251
#define DNS_TYPE_AXFR		252
#define DNS_OPT_ECS		8	/* EDNS Client Subnet, RFC 7871 */
#define DNS_OPT_EDE		15	/* Extended DNS Errors, RFC 8914 */
/* the EDE codes our own decisions give (vpndnsd.8, QUERY HANDLING) */
#define EDE_STALE		3	/* Stale Answer */
#define EDE_BLOCKED		15	/* Blocked */
#define EDE_PROHIBITED		18	/* Prohibited */
#define EDE_NOT_AUTHORITATIVE	20	/* Not Authoritative */
#define EDE_NO_REACHABLE	22	/* No Reachable Authority */
#define DNS_CLASS_IN		1
#define DNAME_TEXT_MAX		1025	/* every byte escaped as \DDD */
#define RDATA_TEXT_MAX		8192
#define DOMAIN_TTL		30
#define DOMAIN_NEGTTL		10
#define DOMAIN_THRESHOLD	300

/*
 * Presence sources: WireGuard interfaces, strongSwan (VICI) and OpenVPN
 * servers, each a block of the configuration with a name that is a DNS
 * label (NAME.BLOCK.SUFFIX).  A peer is known by its key within its
 * source: text, as the VPN names it (a WireGuard public key in base64,
 * an IPsec identity, an OpenVPN common name).
 */
#define SRC_NAME_MAX		16	/* a source's name and its NUL */
#define SRC_MAX			64	/* sources, of every kind together */
#define SRC_INTERVAL		1	/* seconds between polls, by default */
#define SRC_MAX_PEERS		65536	/* per source */
#define PEER_KEY_MAX		256	/* a peer's key and its NUL */
#define PEER_LABEL_MAX		64	/* a label and its NUL */
#define PEER_DISPLAY_MAX	128	/* a display name and its NUL */
#define PEER_MAX_ADDRS		16	/* host addresses kept per peer */
#define WG_KEY_LEN		32
#define WG_KEY_B64		44	/* its base64 form */
#define WG_SOCKET_DIR		"/var/run/wireguard"
#define VICI_SOCKET		"/var/run/charon.vici"

#define TCP_IDLE_TIMEOUT	10
#define TCP_MAX_CONNECTIONS	512
#define TCP_MAX_PER_CLIENT	16
#define UPSTREAM_INFLIGHT	8192	/* a socket each: the most allowed */
#define METRICS_PORT		9153	/* CoreDNS's and many exporters' */
#define TCP_MESSAGE_TIMEOUT	5
#define RRL_SLIP		2
#define RRL_V4LEN		24
#define RRL_V6LEN		56
#define TCP_MAX_INFLIGHT	32
#define TCP_SLOTS_MAX		65536	/* connections the frontend can track */
#define TCP_SNDBUF		(64 * 1024)	/* the kernel's, a connection */

/*
 * The parent asks each child every HEARTBEAT_INTERVAL seconds; one that
 * has not answered for HEARTBEAT_TIMEOUT (stopped, or stuck in a loop)
 * takes the daemon down, as a dead one does.
 */
#define HEARTBEAT_INTERVAL	1
#define HEARTBEAT_TIMEOUT	10

/* Output a channel may queue before composing fails (or a query drops). */
#define CHANNEL_WMAX		(16 * 1024 * 1024)

enum proc_id {
	PROC_PARENT,
	PROC_FRONTEND,
	PROC_RESOLVER,
	PROC_WGWATCH,
	PROC_MAX
};

enum imsg_type {
	IMSG_NONE,
	/* parent -> children, set-up */
	IMSG_SOCKET_PEER,		/* fd: a channel to a sibling */
	IMSG_LISTEN_UDP,		/* fd + struct listen_msg */
	IMSG_LISTEN_TCP,		/* fd + struct listen_msg */
	IMSG_CONTROL_FD,		/* fd: the control socket */
	IMSG_METRICS_FD,		/* fd: the metrics listener */
	IMSG_STARTUP,			/* struct startup_msg */
	/* configuration transaction, parent -> children */
	IMSG_RECONF_CONF,		/* struct reconf_main */
	IMSG_RECONF_PREFIX,		/* struct prefix_msg */
	IMSG_RECONF_DOMAIN,		/* struct domain_msg */
	IMSG_RECONF_RECORD,		/* struct record_msg + texts */
	IMSG_RECONF_SOURCE,		/* struct source_msg */
	IMSG_RECONF_PEERNAME,		/* struct peername_msg, to the resolver */
	IMSG_RECONF_THRESHOLD,		/* struct threshold_msg, to wgwatch */
	IMSG_RECONF_FORWARDER,		/* struct forwarder_msg */
	IMSG_RECONF_BLOCKLIST,		/* struct blocklist_msg */
	IMSG_RECONF_BLOCKALLOW,		/* struct blockitem_msg */
	IMSG_RECONF_BLOCKFILE,		/* fd + struct blockitem_msg */
	IMSG_RECONF_MATCH,		/* struct match_msg + lists */
	IMSG_RECONF_XFR,		/* struct xfr_conf */
	IMSG_RECONF_UPDATE,		/* struct update_conf */
	IMSG_RECONF_END,
	/* presence sources: wgwatch <-> parent (parent.h, the relays) */
	IMSG_SRC_POLL,			/* struct source_ref */
	IMSG_SRC_DATA,			/* struct src_data + raw bytes */
	IMSG_SRC_RESET,			/* struct source_ref: start over */
	IMSG_SRC_END,			/* struct src_end */
	/* presence: wgwatch -> resolver, changes only */
	IMSG_PEERS_START,		/* struct source_ref */
	IMSG_PEER,			/* struct peer_msg, addresses used */
	IMSG_PEER_GONE,			/* struct peer_msg, no addresses */
	IMSG_PEERS_DONE,		/* struct source_ref */
	IMSG_SOURCE_GONE,		/* struct source_ref */
	/* queries */
	IMSG_QUERY,			/* struct query_msg */
	IMSG_ANSWER,			/* struct dnsq_ctx + wire message */
	IMSG_XFR,			/* struct query_msg + the query */
	/* control requests, vpndnsctl -> frontend -> others */
	IMSG_CTL_RELOAD,
	IMSG_CTL_LOG_VERBOSE,		/* int */
	IMSG_CTL_SHOW_STATUS,
	IMSG_CTL_SHOW_RECORDS,
	IMSG_CTL_SHOW_PEERS,
	IMSG_CTL_SHOW_FORWARDERS,
	IMSG_CTL_FLUSH,			/* char[DNAME_TEXT_MAX]: "" for all */
	IMSG_CTL_LOOKUP,		/* struct ctl_lookup */
	IMSG_CTL_SHOW_BLOCKLISTS,
	IMSG_CTL_SHOW_METRICS,		/* Prometheus text, as IMSG_CTL_TEXT */
	/* control replies */
	IMSG_CTL_INFO,			/* struct ctl_info */
	IMSG_CTL_FRONTEND_STATS,	/* struct frontend_stats */
	IMSG_CTL_RESOLVER_STATS,	/* struct resolver_stats */
	IMSG_CTL_SOURCE_STATS,		/* struct source_stats */
	IMSG_CTL_TEXT,			/* NUL-terminated line */
	IMSG_CTL_RESULT,		/* struct ctl_result */
	IMSG_CTL_END,
	/*
	 * local answers' copies, resolver <-> frontend: after the control
	 * messages, whose numbers vpndnsctl shares
	 */
	IMSG_LOCAL_COPY,		/* struct local_copy + key + wire */
	IMSG_LOCAL_FLUSH,		/* the copies are void */
	IMSG_LOCAL_COUNTS,		/* struct local_counts */
	IMSG_TCP_LOST,			/* struct tcp_lost[] */
	IMSG_HEARTBEAT,			/* parent -> child, and back */
	IMSG_LOG,			/* child -> parent: struct log_msg + line */
	IMSG_DNSTAP_OPEN,		/* child -> parent: a dnstap connection */
	IMSG_DNSTAP_FD,			/* parent -> child: fd, or none + int errno */
	IMSG_TYPE_MAX
};

union sockunion {
	struct sockaddr		sa;
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

struct prefix {
	sa_family_t	af;
	uint8_t		len;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}		addr;
};

struct listen_msg {
	union sockunion	addr;
};

struct startup_msg {
	time_t		started;
	pid_t		pid[PROC_MAX];
	char		conffile[PATH_MAX];
};

/* Where an answer goes; the resolver echoes it back untouched. */
/* How the client of a query was learnt. */
enum client_via {
	VIA_PEER,		/* the address the query came from */
	VIA_PROXY,		/* a trusted proxy's PROXY v2 header */
	VIA_ECS			/* a trusted sender's EDNS Client Subnet */
};

struct dnsq_ctx {
	union sockunion	client;		/* who the query speaks for */
	union sockunion	peer;		/* who sent it: replies go there */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}		local;		/* destination of a wildcard UDP query */
	uint32_t	ifindex;
	uint32_t	conn;		/* UDP: listener index, TCP: slot */
	uint32_t	gen;		/* TCP: connection generation */
	uint64_t	arrival_us;	/* read by the frontend (monotonic) */
	uint8_t		tcp;
	uint8_t		has_local;
	uint8_t		via;		/* enum client_via */
	uint8_t		ecs_len;	/* VIA_ECS: the source prefix */
	uint8_t		more;		/* TCP: more messages of it follow */
	uint8_t		ecs_mapped;	/* VIA_ECS: given as ::ffff:a.b.c.d */
	uint8_t		proxied;	/* a PROXY header named a client */
	union sockunion	sender;		/* VIA_ECS: whose option it was */
};

struct query_msg {
	struct dnsq_ctx	ctx;
	uint16_t	id;
	uint16_t	flags;		/* as in the header, host order */
	uint16_t	qtype;
	uint16_t	qclass;
	uint16_t	edns_size;	/* 0: the query had no EDNS */
	uint8_t		edns_do;
	uint8_t		qname_len;
	uint8_t		qname[DNS_MAX_NAME];	/* wire form, as sent */
};

/*
 * A local answer the resolver built, for the frontend to answer from until
 * it is 'ttl' seconds past 'stored' (CLOCK_MONOTONIC, as for the cache) or
 * an IMSG_LOCAL_FLUSH comes: the key (cache.h), then the answer's wire
 * form without an OPT.
 */
struct local_copy {
	int64_t		stored;
	uint32_t	ttl;
	uint16_t	keylen;
	uint16_t	wlen;
};

/*
 * TCP connections that lost an answer: the resolver could not queue it
 * (the channel was full), so the frontend closes them rather than keep
 * the client waiting for it.  Up to TCP_LOST_MAX a message.
 */
struct tcp_lost {
	uint32_t	conn;
	uint32_t	gen;
};
#define TCP_LOST_MAX		4096

/* What the frontend answered from its copies since it last said. */
struct local_counts {
	uint64_t		rcode[16];
	uint64_t		truncated;
	struct metric_latency	latency;
};

/* dnstap: the collector's unix socket (struct sockaddr_un's sun_path) */
#define DNSTAP_PATH_MAX		108

struct reconf_main {
	uint32_t	tcp_idle;
	uint32_t	tcp_msgtimeout;
	uint32_t	tcp_maxconn;
	uint32_t	tcp_perclient;
	uint32_t	tcp_inflight;
	uint32_t	log_queries;
	uint32_t	upstream_inflight;	/* queries at servers at once */
	uint32_t	rrl_rate;	/* UDP answers a second a prefix; 0 off */
	uint32_t	rrl_slip;
	uint8_t		rrl_v4len;
	uint8_t		rrl_v6len;
	uint8_t		dnstap_client;	/* the frontend writes client messages */
	uint8_t		dnstap_forwarder; /* the resolver, forwarder ones */
	char		dnstap[DNSTAP_PATH_MAX];	/* "": no dnstap */
};

struct domain_conf {
	TAILQ_ENTRY(domain_conf) entry;
	char		name[DNAME_TEXT_MAX];
	char		nameserver[DNAME_TEXT_MAX];
	char		hostmaster[DNAME_TEXT_MAX];
	uint32_t	ttl;
	uint32_t	negttl;
	uint32_t	threshold;	/* presence: activity younger than */
	uint8_t		offline_names;
	uint8_t		pad[3];
};

/*
 * What crosses a channel is flat: no pointer, strings NUL-terminated in
 * their arrays (checked by the receiver).  IMSG_RECONF_DOMAIN.
 */
struct domain_msg {
	char		name[DNAME_TEXT_MAX];
	char		nameserver[DNAME_TEXT_MAX];
	char		hostmaster[DNAME_TEXT_MAX];
	uint32_t	ttl;
	uint32_t	negttl;
	uint32_t	threshold;
	uint8_t		offline_names;
	uint8_t		pad[3];
};

/*
 * A peer named by the configuration: a "peer" line, or a line of a
 * "names from" file.
 */
struct peer_conf {
	TAILQ_ENTRY(peer_conf) entry;
	char		key[PEER_KEY_MAX];	/* its key in the source */
	char		name[PEER_LABEL_MAX];	/* its label: slug_label(display) */
	char		display[PEER_DISPLAY_MAX];	/* as given, UTF-8 */
	char		domain[DNAME_TEXT_MAX];	/* "": the source's */
	int		from_file;
};

enum src_kind {
	SRC_WIREGUARD,			/* an interface, polled */
	SRC_IPSEC,			/* strongSwan: VICI events */
	SRC_OPENVPN,			/* a server's status file, polled */
	SRC_KINDS
};

/* A presence source: a block of the configuration. */
struct source_conf {
	TAILQ_ENTRY(source_conf) entry;
	uint32_t	kind;			/* enum src_kind */
	char		name[SRC_NAME_MAX];
	char		path[PATH_MAX];		/* UAPI, VICI socket; file */
	char		domain[DNAME_TEXT_MAX];
	char		namesfile[PATH_MAX];	/* "": none */
	uint32_t	interval;		/* seconds between polls */
	TAILQ_HEAD(, peer_conf) peers;
};

struct record_conf {
	TAILQ_ENTRY(record_conf) entry;
	char		*name;		/* canonical, with trailing dot */
	char		*rdata;		/* canonical presentation form */
	uint16_t	 type;
	int64_t		 ttl;		/* -1: the domain's */
};

/* IMSG_RECONF_RECORD: this, then name and rdata, each NUL-terminated. */
struct record_msg {
	uint16_t	type;
	uint16_t	namelen;	/* with the NUL */
	uint16_t	rdlen;		/* with the NUL */
	uint16_t	pad;
	int64_t		ttl;
};

/* Policy forwarding */
#define FWD_NAME_MAX		64
#define FWD_MAX_SERVERS		16
#define FWD_TIMEOUT_MS		1000
#define FWD_CACHE_SIZE		(8 * 1024 * 1024)
#define FWD_CACHE_MAX_TTL	86400

enum fwd_policy {
	FWD_FAILOVER,
	FWD_ROUNDROBIN
};

#define DOT_PORT		853	/* DNS over TLS, RFC 7858 */
#define DOT_NAME_MAX		256	/* the name its certificate carries */

struct server_conf {
	union sockunion	addr;
	uint8_t		proxy;		/* send a PROXY v2 header */
	uint8_t		ecs;		/* send ECS ... */
	uint8_t		ecs_v4;		/* ... this long for IPv4 clients */
	uint8_t		ecs_v6;		/* ... and IPv6 ones */
	uint8_t		tls;		/* DNS over TLS ... */
	uint8_t		pad[3];
	char		tls_name[DOT_NAME_MAX];	/* ... to this name */
};

struct forwarder_conf {
	TAILQ_ENTRY(forwarder_conf) entry;
	char		name[FWD_NAME_MAX];
	struct server_conf servers[FWD_MAX_SERVERS];
	uint32_t	nservers;
	uint32_t	policy;
	uint32_t	timeout_ms;	/* the whole budget of a query */
	uint64_t	cache_size;	/* bytes */
	uint32_t	cache_min_ttl;
	uint32_t	cache_max_ttl;
	uint8_t		serve_stale;
	uint8_t		pad[7];
	char		tls_ca[PATH_MAX];	/* "": libtls's default */
};

/*
 * IMSG_RECONF_FORWARDER: a forwarder_conf, flat; with the CA file open
 * when a server speaks TLS.
 */
struct forwarder_msg {
	char		name[FWD_NAME_MAX];
	struct server_conf servers[FWD_MAX_SERVERS];
	uint32_t	nservers;
	uint32_t	policy;
	uint32_t	timeout_ms;
	uint64_t	cache_size;
	uint32_t	cache_min_ttl;
	uint32_t	cache_max_ttl;
	uint8_t		serve_stale;
	uint8_t		pad[7];
};

/* Blocklists */
#define BL_NAME_MAX		64
#define BL_MAX_FILES		64
#define BL_MAX_LISTS		64	/* declared, and per match rule */

enum bl_answer {
	BL_ANSWER_NXDOMAIN,
	BL_ANSWER_REFUSED,
	BL_ANSWER_NULL,			/* 0.0.0.0 and :: */
	BL_ANSWER_ADDRESS
};

struct bl_addr {
	uint8_t		af;		/* 0: none */
	uint8_t		pad[3];
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}		a;
};

struct blocklist_conf {
	TAILQ_ENTRY(blocklist_conf) entry;
	char		 name[BL_NAME_MAX];
	uint32_t	 answer;	/* enum bl_answer */
	struct bl_addr	 addr;
	char		*files[BL_MAX_FILES];
	int		 fds[BL_MAX_FILES];	/* parent: open at parse time */
	uint32_t	 nfiles;
	char		**allows;	/* canonical names */
	size_t		 nallows;
};

/* IMSG_RECONF_BLOCKLIST */
struct blocklist_msg {
	char		name[BL_NAME_MAX];
	uint32_t	answer;
	uint32_t	pad;
	struct bl_addr	addr;
};

/* IMSG_RECONF_BLOCKALLOW, IMSG_RECONF_BLOCKFILE (with the file's fd) */
struct blockitem_msg {
	char		list[BL_NAME_MAX];
	char		text[PATH_MAX];	/* a name, or the file's path */
};

enum match_action {
	MATCH_FORWARD,
	MATCH_REFUSE,
	MATCH_LOCALONLY
};

struct match_conf {
	TAILQ_ENTRY(match_conf) entry;
	struct prefix	*from;		/* none: any client */
	size_t		 nfrom;
	char		**query;	/* canonical suffixes; none: any name */
	size_t		 nquery;
	enum match_action action;
	char		 group[FWD_NAME_MAX];
	char		 (*block)[BL_NAME_MAX];	/* blocklists it checks */
	size_t		 nblock;
	int		 line;		/* for vpndnsctl lookup */
};

/*
 * IMSG_RECONF_MATCH: this, the prefixes, the suffixes (each with its NUL),
 * then the blocklists' names (BL_NAME_MAX each).
 */
struct match_msg {
	uint32_t	action;
	uint32_t	line;
	uint32_t	nfrom;
	uint32_t	nquery;
	uint32_t	nblock;
	uint32_t	pad;
	char		group[FWD_NAME_MAX];
};

struct listen_conf {
	TAILQ_ENTRY(listen_conf) entry;
	union sockunion	addr;
	int		udpfd;		/* parent only, until passed on */
	int		tcpfd;
};

/* The client prefix lists of the main section, for the frontend. */
enum plist {
	PLIST_ALLOW,		/* allow from: who may ask */
	PLIST_PROXY,		/* proxy-protocol from: who must send a header */
	PLIST_ECS,		/* client-subnet from: whose ECS names the client */
	PLIST_TRANSFER,		/* transfer to: who may ask for transfers */
	PLIST_MAX
};

struct prefixlist {
	struct prefix	*p;
	size_t		 n;
};

struct prefix_msg {		/* IMSG_RECONF_PREFIX */
	uint32_t	list;	/* enum plist */
	struct prefix	p;
};

/* A TSIG key as ldns takes it; name "" for none. */
#define TSIG_ALG_MAX		32
#define TSIG_SECRET_MAX		256	/* base64 */
struct tsig_conf {
	char		name[DNAME_TEXT_MAX];
	char		algorithm[TSIG_ALG_MAX];
	char		secret[TSIG_SECRET_MAX];
};

/*
 * Zone transfers out and NOTIFY (IMSG_RECONF_XFR): the key a transfer
 * must be signed with, and the secondaries to notify.
 */
#define XFR_NOTIFY_MAX		16
struct xfr_conf {
	struct tsig_conf key;
	uint32_t	transfers;	/* any "transfer to": keep a journal */
	uint32_t	nnotify;
	union sockunion	notify[XFR_NOTIFY_MAX];
};

/* Dynamic updates out (IMSG_RECONF_UPDATE): a domain, to its primary. */
#define UPDATE_MAX		8
struct update_conf {
	union sockunion	 addr;
	char		 zone[DNAME_TEXT_MAX];
	struct tsig_conf key;
};

struct vpndnsd_conf {
	char		user[64];
	char		chroot[PATH_MAX];
	char		pidfile[PATH_MAX];
	struct reconf_main main;
	struct prefixlist lists[PLIST_MAX];
	int		 acl_set;
	TAILQ_HEAD(, listen_conf) listens;
	union sockunion	 metrics;	/* GET /metrics; family 0: none */
	struct xfr_conf	 xfr;
	struct update_conf updates[UPDATE_MAX];
	uint32_t	 nupdates;
	int		 metricsfd;	/* parent only, until passed on */
	TAILQ_HEAD(, domain_conf) domains;
	TAILQ_HEAD(, record_conf) records;
	TAILQ_HEAD(, source_conf) sources;
	TAILQ_HEAD(, forwarder_conf) forwarders;
	TAILQ_HEAD(, blocklist_conf) blocklists;
	TAILQ_HEAD(, match_conf) matches;
};

struct ctl_info {
	char		version[16];
	char		conffile[PATH_MAX];
	time_t		started;
	pid_t		pid[PROC_MAX];
};

/*
 * The frontend's counters, each once: its field; its line and word in
 * vpndnsctl show status; its metric family, type, labels and help (a
 * NULL type: more of the family above).  The struct, show status (text
 * and JSON, the field as its name) and the Prometheus text are all made
 * from this list.
 */
#define FRONTEND_STATS(X)						\
	X(udp_queries, "queries", "udp", "vpndnsd_queries_total",	\
	    "counter", "transport=\"udp\"", "Queries read, by transport.") \
	X(tcp_queries, "queries", "tcp", "vpndnsd_queries_total",	\
	    NULL, "transport=\"tcp\"", NULL)				\
	X(answers, "queries", "answered",				\
	    "vpndnsd_frontend_answers_total", "counter", "",		\
	    "Answers the resolver returned to the frontend.")		\
	X(copied, "queries", "copied", "vpndnsd_frontend_copied_total", \
	    "counter", "",						\
	    "Local answers the frontend made from the resolver's copies.") \
	X(formerr, "frontend", "formerr",				\
	    "vpndnsd_frontend_replies_total", "counter",		\
	    "rcode=\"FORMERR\"",					\
	    "Replies the frontend wrote itself, by rcode.")		\
	X(notimp, "frontend", "notimp", "vpndnsd_frontend_replies_total", \
	    NULL, "rcode=\"NOTIMP\"", NULL)				\
	X(badvers, "frontend", "badvers",				\
	    "vpndnsd_frontend_replies_total", NULL, "rcode=\"BADVERS\"", \
	    NULL)							\
	X(refused_acl, "frontend", "refused-acl",			\
	    "vpndnsd_frontend_replies_total", NULL, "rcode=\"REFUSED\"", \
	    NULL)							\
	X(dropped, "frontend", "dropped", "vpndnsd_dropped_total",	\
	    "counter", "",						\
	    "Queries dropped unanswered: not queries, cut, or no room.") \
	X(proxied, "clients", "proxied", "vpndnsd_proxy_headers_total", \
	    "counter", "result=\"taken\"",				\
	    "PROXY v2 headers from trusted proxies, by outcome.")	\
	X(proxy_refused, "clients", "proxy-refused",			\
	    "vpndnsd_proxy_headers_total", NULL, "result=\"refused\"",	\
	    NULL)							\
	X(ecs_clients, "clients", "ecs", "vpndnsd_ecs_clients_total",	\
	    "counter", "",						\
	    "Queries whose client a trusted sender's ECS named.")	\
	X(rrl_dropped, "rate", "limited", "vpndnsd_ratelimited_total",	\
	    "counter", "action=\"dropped\"",				\
	    "UDP queries over rate-limit, by what they got.")		\
	X(rrl_slipped, "rate", "truncated", "vpndnsd_ratelimited_total", \
	    NULL, "action=\"truncated\"", NULL)				\
	X(tcp_connections, "tcp", "connections",			\
	    "vpndnsd_tcp_connections_total", "counter", "",		\
	    "TCP connections accepted.")				\
	X(tcp_open, "tcp", "open", "vpndnsd_tcp_connections_open",	\
	    "gauge", "", "TCP connections open now.")			\
	X(tcp_refused, "tcp", "refused", "vpndnsd_tcp_refused_total",	\
	    "counter", "",						\
	    "TCP connections refused by max-connections or max-per-client.") \
	X(tcp_slow, "tcp", "too slow", "vpndnsd_tcp_too_slow_total",	\
	    "counter", "", "TCP connections closed by message-timeout.") \
	X(tcp_lost, "tcp", "lost", "vpndnsd_tcp_closed_total", "counter", \
	    "reason=\"lost-answer\"",					\
	    "TCP connections the frontend closed, by why: an answer lost " \
	    "to overload, answers not read, idle when the table was full.") \
	X(tcp_unread, "tcp", "unread", "vpndnsd_tcp_closed_total", NULL, \
	    "reason=\"unread\"", NULL)					\
	X(tcp_evicted, "tcp", "evicted", "vpndnsd_tcp_closed_total",	\
	    NULL, "reason=\"evicted\"", NULL)

struct frontend_stats {
#define FS_FIELD(f, line, word, name, type, labels, help)	uint64_t f;
	FRONTEND_STATS(FS_FIELD)
#undef FS_FIELD
};

/* One counter of FRONTEND_STATS, for code that walks them. */
struct stat_field {
	const char	*field;
	const char	*line;
	const char	*word;
	const char	*name;
	const char	*type;
	const char	*labels;
	const char	*help;
	size_t		 off;
};
extern const struct stat_field frontend_stat_fields[];


/* The resolver's figures in show status: the struct and the JSON fields. */
#define RESOLVER_STATS(X)						\
	X(queries) X(noerror) X(nxdomain) X(refused) X(servfail)	\
	X(truncated) X(records) X(domains) X(peers) X(forwarded)	\
	X(blocked) X(cache_hits) X(cache_misses) X(cache_entries)	\
	X(cache_bytes) X(dropped)

struct resolver_stats {
#define RS_FIELD(f)	uint64_t f;
	RESOLVER_STATS(RS_FIELD)
#undef RS_FIELD
};
extern const struct stat_field resolver_stat_fields[];


/*
 * IMSG_RECONF_SOURCE, to the resolver and wgwatch: a source, its domain
 * and the domain's threshold (for wgwatch's rule of what to forward).
 * The resolver takes the kind for display only.
 */
struct source_msg {
	char		name[SRC_NAME_MAX];
	char		domain[DNAME_TEXT_MAX];
	uint32_t	kind;		/* enum src_kind */
	uint32_t	interval;
	uint32_t	threshold;
	uint32_t	pad;
};

/* IMSG_RECONF_PEERNAME, to the resolver: a peer the configuration names */
struct peername_msg {
	char		source[SRC_NAME_MAX];
	char		key[PEER_KEY_MAX];
	char		name[PEER_LABEL_MAX];
	char		display[PEER_DISPLAY_MAX];
	char		domain[DNAME_TEXT_MAX];	/* resolved: never "" */
};

/*
 * IMSG_RECONF_THRESHOLD, to wgwatch after its source's
 * IMSG_RECONF_SOURCE: the threshold of a peer named in another domain
 * than the source's, where it differs.  wgwatch forwards a peer's
 * activity when it matters for that threshold.
 */
struct threshold_msg {
	char		source[SRC_NAME_MAX];
	char		key[PEER_KEY_MAX];
	uint32_t	threshold;
};

/* A source by name: polls, transactions, its end. */
struct source_ref {
	char		name[SRC_NAME_MAX];
};

/* How the bytes the parent relays are written. */
enum src_format {
	SRC_FMT_NONE,			/* no reply: nothing answered */
	SRC_FMT_UAPI,			/* wireguard-go, boringtun: text */
	SRC_FMT_NETLINK,		/* the kernel: generic netlink */
	SRC_FMT_VICI,			/* strongSwan's VICI packets */
	SRC_FMT_STATUS,			/* an OpenVPN status file */
	SRC_FMTS
};

/* IMSG_SRC_DATA: this, then the bytes. */
struct src_data {
	char		name[SRC_NAME_MAX];
	uint8_t		format;		/* enum src_format */
	uint8_t		pad[7];
};

/*
 * IMSG_SRC_END: a poll's reply ended (error 0) or failed, or a
 * connection (VICI) ended.
 */
struct src_end {
	char		name[SRC_NAME_MAX];
	uint8_t		format;
	uint8_t		pad[3];
	int32_t		error;		/* 0, or an errno */
};

struct peer_addr {
	uint8_t		af;
	uint8_t		pad[3];
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}		a;
};

/*
 * A peer as the resolver knows it, whatever its source.  Presence is
 * decided on one of two things:
 *  - 'session' set (the source knows connections: IPsec, OpenVPN): the
 *    peer is online exactly while 'connected';
 *  - otherwise (WireGuard) on 'activity': the later of the latest
 *    handshake and the last poll that saw the received-bytes counter
 *    grow, as wgwatch last forwarded it (it forwards only what may
 *    change a decision, so the handshake goes along but may be older
 *    than the source's own).
 * 'display' is the name the source itself gives the peer (an identity's
 * user or host, a common name; "" for none); a configured name wins.
 */
struct peer_msg {
	char		source[SRC_NAME_MAX];
	char		key[PEER_KEY_MAX];
	char		display[PEER_DISPLAY_MAX];
	int64_t		handshake;	/* Unix time, 0: never */
	int64_t		activity;	/* Unix time, 0: never */
	uint8_t		session;
	uint8_t		connected;
	uint16_t	keepalive;	/* the gateway's, seconds; 0: off */
	uint16_t	naddrs;
	uint16_t	pad;
	struct peer_addr addrs[PEER_MAX_ADDRS];
};

/* show status: a source as wgwatch sees it. */
struct source_stats {
	char		name[SRC_NAME_MAX];
	uint8_t		kind;		/* enum src_kind */
	uint8_t		format;		/* enum src_format; NONE: not found */
	uint8_t		pad[2];
	int32_t		error;		/* of the last poll or connection */
	uint64_t	polls;		/* polls, or VICI packets */
	uint64_t	failures;	/* failed polls, lost connections */
	uint64_t	incomplete;	/* status files read mid-rewrite */
	uint64_t	changes;	/* peer changes sent to the resolver */
	uint64_t	last_usec;	/* the last poll, request to result */
	uint64_t	max_usec;
	uint32_t	peers;
	uint32_t	pad2;
};

/*
 * vpndnsctl lookup: the query, and what the frontend, which holds the
 * ACL and the rate limiter, would do with it (filled in there, whatever
 * vpndnsctl sent), for the resolver to tell the rest.
 */
enum lookup_acl {
	LOOKUP_ALLOWED,
	LOOKUP_REFUSED_ACL,		/* outside allow from */
	LOOKUP_REFUSED_XFR		/* a transfer outside transfer to */
};

struct ctl_lookup {
	char		name[DNAME_TEXT_MAX];
	uint16_t	qtype;
	union sockunion	from;		/* family 0: 127.0.0.1 */
	uint8_t		acl;		/* enum lookup_acl */
	uint8_t		rl_over;	/* a UDP query now is over the rate */
	uint8_t		pad[2];
	uint32_t	rl_rate;	/* rate-limit; 0: off */
	uint32_t	rl_count;	/* answers to its prefix this second */
	uint32_t	rl_slip;
	char		rl_prefix[INET6_ADDRSTRLEN + 5];
};

/* IMSG_LOG: this, then the line with its NUL (log.c, logrelay.c). */
struct log_msg {
	int32_t		pri;		/* syslog's LOG_ERR ... LOG_DEBUG */
};
#define LOG_LINE_MAX		1024

struct ctl_result {
	int		ok;
	char		msg[512];
};

/* common/config.c */
struct vpndnsd_conf	*config_new(void);
void			 reconf_main_defaults(struct reconf_main *);
void			 config_free(struct vpndnsd_conf *);
void			 config_clear_data(struct vpndnsd_conf *);
int			 prefixlist_add(struct prefixlist *,
			    const struct prefix *);
int			 prefix_parse(const char *, struct prefix *);
int			 prefix_match(const struct prefix *,
			    const union sockunion *);
int			 prefixlist_match(const struct prefixlist *,
			    const union sockunion *);
int			 prefix_print(const struct prefix *, char *, size_t);
const char		*sockunion_ntop(const union sockunion *);
socklen_t		 sockunion_len(const union sockunion *);
int			 sockunion_is_wildcard(const union sockunion *);
int			 sockunion_unmap(union sockunion *);
void			 record_free(struct record_conf *);
void			 match_free(struct match_conf *);
void			 blocklist_free(struct blocklist_conf *);
int			 wg_key_decode(const char *, uint8_t *);
void			 wg_key_encode(const uint8_t *, char *);
const char		*src_kind_name(uint32_t);

#endif
