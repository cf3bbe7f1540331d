/*
 * The frontend's view of a DNS query: a bounded, allocation-free parser of
 * the header, the one question and the EDNS OPT record, and the few
 * replies the frontend writes itself.
 */
#ifndef VPNDNSD_DNSWIRE_H
#define VPNDNSD_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

enum dnswire_verdict {
	DNSWIRE_OK,
	DNSWIRE_DROP,		/* no answer at all */
	DNSWIRE_FORMERR,
	DNSWIRE_NOTIMP,
	DNSWIRE_BADVERS
};

struct dns_query {
	uint16_t	id;
	uint16_t	flags;
	uint16_t	qtype;
	uint16_t	qclass;
	uint8_t		qname_len;	/* 0: no question parsed */
	uint8_t		qname[DNS_MAX_NAME];
	uint8_t		edns;
	uint8_t		edns_version;
	uint8_t		edns_do;
	uint16_t	edns_size;	/* at least 512 when edns */
	uint8_t		ecs;		/* an EDNS Client Subnet option */
	uint8_t		ecs_len;	/* its source prefix length */
	union sockunion	ecs_addr;	/* its address, port 0 */
};

/* Room for any reply dnswire_reply() writes. */

#define DNSWIRE_REPLY_MAX	(DNS_HEADER_SIZE + DNS_MAX_NAME + 4 + 11 + 6)

enum dnswire_verdict	dnswire_parse_query(const uint8_t *, size_t,
			    struct dns_query *);
size_t			dnswire_reply(const struct dns_query *, int,
			    uint8_t *, size_t);
const char		*dnswire_verdict_name(enum dnswire_verdict);

#endif
