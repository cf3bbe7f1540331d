#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "dnswire.h"
#include "wire.h"

/*
 * What a query may hold and how we answer what it must not
 * (vpndnsd.8, "QUERY HANDLING"):
 *   shorter than a header, or QR set		no answer
 *   opcode other than QUERY			NOTIMP
 *   QDCOUNT other than 1, ANCOUNT, or NSCOUNT
 *   other than 1 for IXFR (its client's SOA)	FORMERR
 *   a compression pointer or an extended label
 *   in the question, a name over 255 bytes	FORMERR
 *   a record running past the end, bytes left
 *   after the last record (no trailing data)	FORMERR
 *   an OPT not at the root, a second OPT,
 *   options overrunning the OPT's length	FORMERR
 *   an ECS option not as RFC 7871 6 has it
 *   (family, lengths, bits past the prefix,
 *   a scope), or a second one			FORMERR
 *   QTYPE OPT					FORMERR
 *   EDNS version above 0			BADVERS
 * Records in the additional section other than OPT, and IXFR's SOA, are
 * stepped over (the resolver reads a transfer's whole query: its TSIG).
 */

/* The question name: uncompressed labels only, copied as sent. */
static int
parse_qname(const uint8_t *p, size_t len, size_t *pos, struct dns_query *q)
{
	size_t	off = *pos, n = 0;
	uint8_t	l;

	for (;;) {
		if (off >= len)
			return -1;
		l = p[off];
		if (l & 0xc0)
			return -1;
		if (off + 1 + l > len || n + 1 + l > DNS_MAX_NAME)
			return -1;
		memcpy(q->qname + n, p + off, 1 + l);
		n += 1 + l;
		off += 1 + l;
		if (l == 0)
			break;
	}
	q->qname_len = n;
	*pos = off;
	return 0;
}

/* Step over an owner name; returns whether it was the root. */
static int
skip_name(const uint8_t *p, size_t len, size_t *pos, int *root)
{
	size_t	off = *pos;
	uint8_t	l;

	*root = off < len && p[off] == 0;
	for (;;) {
		if (off >= len)
			return -1;
		l = p[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len)
				return -1;
			off += 2;
			break;
		}
		if (l & 0xc0)
			return -1;
		off += 1 + l;
		if (l == 0)
			break;
	}
	if (off > len)
		return -1;
	*pos = off;
	return 0;
}

/* EDNS Client Subnet, RFC 7871 6: the address as long as its prefix. */
static int
parse_ecs(const uint8_t *p, size_t len, struct dns_query *q)
{
	union sockunion	*su = &q->ecs_addr;
	size_t		 max, n;
	uint8_t		*a;

	if (q->ecs || len < 4 || p[3] != 0)
		return -1;
	memset(su, 0, sizeof(*su));
	switch (get16(p)) {
	case 1:
		su->sin.sin_family = AF_INET;
		a = (uint8_t *)&su->sin.sin_addr;
		max = 32;
		break;
	case 2:
		su->sin6.sin6_family = AF_INET6;
		a = (uint8_t *)&su->sin6.sin6_addr;
		max = 128;
		break;
	default:
		return -1;
	}
	n = (p[2] + 7) / 8;
	if (p[2] > max || len != 4 + n)
		return -1;
	memcpy(a, p + 4, n);
	if (p[2] % 8 && (a[n - 1] & (0xff >> (p[2] % 8))))
		return -1;
	q->ecs = 1;
	q->ecs_len = p[2];
	return 0;
}

static int
parse_opt(const uint8_t *p, size_t start, size_t end, uint16_t class,
    uint32_t ttl, struct dns_query *q)
{
	size_t		off = start;
	uint16_t	olen;

	if (q->edns)
		return -1;
	while (off < end) {
		if (off + 4 > end || off + 4 + get16(p + off + 2) > end)
			return -1;
		olen = get16(p + off + 2);
		if (get16(p + off) == DNS_OPT_ECS &&
		    parse_ecs(p + off + 4, olen, q) == -1)
			return -1;
		off += 4 + olen;
	}
	q->edns = 1;
	q->edns_size = class < DNS_MAX_UDP ? DNS_MAX_UDP : class;
	q->edns_version = (ttl >> 16) & 0xff;
	q->edns_do = (ttl & 0x8000) != 0;
	return 0;
}

/*
 * Step over 'n' records; in the additional section ('q' set), read the
 * OPT among them.
 */
static int
parse_records(const uint8_t *p, size_t len, size_t *pos, unsigned int n,
    struct dns_query *q)
{
	size_t		off = *pos, rdend;
	uint16_t	type, class;
	uint32_t	ttl;
	int		root;

	while (n-- > 0) {
		if (skip_name(p, len, &off, &root) == -1 || off + 10 > len)
			return -1;
		type = get16(p + off);
		class = get16(p + off + 2);
		ttl = get32(p + off + 4);
		rdend = off + 10 + get16(p + off + 8);
		if (rdend > len)
			return -1;
		if (q != NULL && type == DNS_TYPE_OPT && (!root ||
		    parse_opt(p, off + 10, rdend, class, ttl, q) == -1))
			return -1;
		off = rdend;
	}
	*pos = off;
	return 0;
}

enum dnswire_verdict
dnswire_parse_query(const uint8_t *p, size_t len, struct dns_query *q)
{
	size_t	pos = DNS_HEADER_SIZE;

	memset(q, 0, offsetof(struct dns_query, qname));
	q->edns = q->edns_version = q->edns_do = 0;
	q->edns_size = 0;
	q->ecs = 0;
	if (len < DNS_HEADER_SIZE)
		return DNSWIRE_DROP;
	q->id = get16(p);
	q->flags = get16(p + 2);
	if (q->flags & DNS_FLAG_QR)
		return DNSWIRE_DROP;
	if (DNS_OPCODE(q->flags) != 0)
		return DNSWIRE_NOTIMP;
	if (get16(p + 4) != 1 || get16(p + 6) != 0 || get16(p + 8) > 1)
		return DNSWIRE_FORMERR;
	if (parse_qname(p, len, &pos, q) == -1 || pos + 4 > len) {
		q->qname_len = 0;
		return DNSWIRE_FORMERR;
	}
	q->qtype = get16(p + pos);
	q->qclass = get16(p + pos + 2);
	pos += 4;
	if (get16(p + 8) != (q->qtype == DNS_TYPE_IXFR) ||
	    parse_records(p, len, &pos, get16(p + 8), NULL) == -1 ||
	    parse_records(p, len, &pos, get16(p + 10), q) == -1 ||
	    pos != len || q->qtype == DNS_TYPE_OPT) {
		q->qname_len = 0;
		q->edns = 0;
		return DNSWIRE_FORMERR;
	}
	if (q->edns && q->edns_version > 0)
		return DNSWIRE_BADVERS;
	return DNSWIRE_OK;
}

/*
 * A reply of our own: the header with 'rcode', the question when one was
 * parsed, and an OPT when the query had one (carrying the upper bits of
 * an extended rcode such as BADVERS).  The frontend refuses only by its
 * ACL (allow from, transfer to): a REFUSED carries the Extended DNS
 * Error Prohibited (RFC 8914) in that OPT.  Returns its length.
 */
size_t
dnswire_reply(const struct dns_query *q, int rcode, uint8_t *out,
    size_t outlen)
{
	size_t	len = DNS_HEADER_SIZE;

	if (outlen < DNSWIRE_REPLY_MAX)
		return 0;
	memset(out, 0, DNS_HEADER_SIZE);
	put16(out, q->id);
	put16(out + 2, DNS_FLAG_QR | (q->flags & (DNS_OPCODE_MASK |
	    DNS_FLAG_RD | DNS_FLAG_CD)) | (rcode & 0x0f));
	if (q->qname_len > 0) {
		put16(out + 4, 1);
		memcpy(out + len, q->qname, q->qname_len);
		len += q->qname_len;
		put16(out + len, q->qtype);
		put16(out + len + 2, q->qclass);
		len += 4;
	}
	if (q->edns) {
		put16(out + 10, 1);
		out[len] = 0;				/* root */
		put16(out + len + 1, DNS_TYPE_OPT);
		put16(out + len + 3, EDNS_MAX_UDP);
		out[len + 5] = rcode >> 4;		/* extended rcode */
		out[len + 6] = 0;			/* version */
		put16(out + len + 7, q->edns_do ? 0x8000 : 0);
		put16(out + len + 9, 0);		/* no options */
		len += 11;
		if (rcode == DNS_RCODE_REFUSED) {
			put16(out + len - 2, 6);
			put16(out + len, DNS_OPT_EDE);
			put16(out + len + 2, 2);
			put16(out + len + 4, EDE_PROHIBITED);
			len += 6;
		}
	}
	return len;
}

const char *
dnswire_verdict_name(enum dnswire_verdict v)
{
	switch (v) {
	case DNSWIRE_OK:
		return "ok";
	case DNSWIRE_DROP:
		return "drop";
	case DNSWIRE_FORMERR:
		return "formerr";
	case DNSWIRE_NOTIMP:
		return "notimp";
	case DNSWIRE_BADVERS:
		return "badvers";
	}
	return "?";
}
