/*
 * PROXY protocol version 2 (haproxy's proxy-protocol.txt, section 2.2):
 * the header an edge proxy puts before a UDP datagram or at the start of
 * a TCP stream to carry the client's address.
 */
#ifndef VPNDNSD_PROXYV2_H
#define VPNDNSD_PROXYV2_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

#define PROXYV2_HDR		16	/* signature, version, family, length */
#define PROXYV2_MAX		512	/* a whole header, TLVs included */
#define PROXYV2_V4_LEN		12
#define PROXYV2_V6_LEN		36

struct proxyv2 {
	int		local;		/* LOCAL: use the real peer */
	union sockunion	src;		/* the client, for PROXY */
	union sockunion	dst;
	size_t		len;		/* of the whole header */
};

enum proxyv2_result {
	PROXYV2_OK,
	PROXYV2_SHORT,		/* a stream: wait for more */
	PROXYV2_BAD
};

enum proxyv2_result	 proxyv2_parse(const uint8_t *, size_t, int,
			    struct proxyv2 *, const char **);
size_t			 proxyv2_build(uint8_t *, size_t, int,
			    const union sockunion *, const union sockunion *);

#endif
