/*
 * DNS messages past the frontend's parser: the query the resolver sends
 * upstream, the strict check of what comes back, and the answer a client
 * gets, from a fresh reply, a cached one or (in the frontend) a copy of
 * a local answer.  All bounded and allocation-free: a cache hit is a copy
 * and a few patches.
 */
#ifndef VPNDNSD_DNSMSG_H
#define VPNDNSD_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

#define DNSMSG_MAX_TTLS		128	/* records whose TTL a copy can age */
#define DNSMSG_OPT_LEN		11	/* a bare OPT record */
#define DNSMSG_ECS_LEN		24	/* the longest ECS option we add */
#define DNSMSG_EDE_TEXT		96	/* an EDE's extra text, at most */
#define DNSMSG_EDE_LEN		(6 + DNSMSG_EDE_TEXT)	/* the option */
#define DNSMSG_STALE_TTL	30	/* RFC 8767 */
#define DNSMSG_BLOCKED_TTL	60	/* blocked answers, and their SOA */

/* How dnsmsg_answer() treats a stored reply. */
enum dnsmsg_copy {
	DNSMSG_FORWARDED,	/* an upstream's: AA off, RA on, TTLs aged */
	DNSMSG_STALE,		/* the same, expired: TTLs 30 */
	DNSMSG_LOCAL		/* our own: AA as stored, no RA */
};

enum dnsmsg_check {
	DNSMSG_OK,
	DNSMSG_MISMATCH,	/* not the reply to our query: wait on */
	DNSMSG_MALFORMED	/* ours, but broken: wait on, count it */
};

struct dnsmsg_info {
	uint16_t	flags;
	uint16_t	ancount, nscount, arcount;
	size_t		qend;		/* end of the question */
	size_t		optoff;		/* the OPT record, 0 when none */
	uint32_t	minttl;		/* over every record but the OPT */
	int		has_soa;
	int		ecs_scope;	/* the reply's ECS scope; -1: none */
	uint8_t		ext_rcode;	/* the OPT's upper 8 rcode bits */
	uint32_t	negttl;		/* min(SOA TTL, SOA MINIMUM) */
	size_t		soattl;		/* where that SOA's TTL is */
	uint16_t	nttl;		/* TTL fields, NTTL when too many */
	uint16_t	ttloff[DNSMSG_MAX_TTLS];
	const char	*why;		/* for MALFORMED and MISMATCH */
};

/* What a query asks, with the question as the client wrote it. */
/* An EDNS Client Subnet option to send (RFC 7871 6). */
struct dnsmsg_ecs {
	uint16_t	family;		/* 1: IPv4, 2: IPv6 */
	uint8_t		len;		/* source prefix length */
	uint8_t		addr[16];	/* host bits clear */
};

struct dnsmsg_q {
	const struct dnsmsg_ecs *ecs;	/* to send, or NULL */
	const uint8_t	*qname;
	size_t		 qlen;
	uint16_t	 qtype;
	uint16_t	 qclass;
	uint16_t	 id;
};

size_t			dnsmsg_query(uint8_t *, size_t, const struct dnsmsg_q *,
			    int, int);
enum dnsmsg_check	dnsmsg_check(const uint8_t *, size_t,
			    const struct dnsmsg_q *, struct dnsmsg_info *);
size_t			dnsmsg_strip_opt(uint8_t *, size_t,
			    const struct dnsmsg_info *);
void			dnsmsg_set_ttl(uint8_t *, size_t, uint32_t);
size_t			dnsmsg_ext_rcode(uint8_t *, size_t, size_t,
			    const struct query_msg *, uint8_t);
void			dnsmsg_clamp_ttls(uint8_t *, size_t,
			    const struct dnsmsg_info *, uint32_t, uint32_t);
size_t			dnsmsg_answer(uint8_t *, size_t, const uint8_t *,
			    size_t, const uint16_t *, uint16_t,
			    const struct query_msg *, uint32_t,
			    enum dnsmsg_copy);
size_t			dnsmsg_error(uint8_t *, size_t,
			    const struct query_msg *, int);
size_t			dnsmsg_blocked(uint8_t *, size_t,
			    const struct query_msg *, uint32_t,
			    const struct bl_addr *, const uint8_t *, size_t);
size_t			dnsmsg_ede(uint8_t *, size_t, size_t, size_t,
			    const struct query_msg *, uint16_t, const char *);
void			dnsmsg_lower(uint8_t *, const uint8_t *, size_t);
int			dnsmsg_name_below(const uint8_t *, size_t,
			    const uint8_t *, size_t);

#endif
