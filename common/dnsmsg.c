#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "dnsmsg.h"
#include "wire.h"

#define T_NS		2
#define T_CNAME		5
#define T_SOA		6
#define T_PTR		12
#define T_MX		15
#define T_SRV		33
#define T_DNAME		39
#define MAX_POINTERS	64

/* A bare OPT: our buffer size, version 0, DO as asked, no options. */
static void
put_opt(uint8_t *p, int dobit)
{
	p[0] = 0;
	put16(p + 1, DNS_TYPE_OPT);
	put16(p + 3, EDNS_MAX_UDP);
	put32(p + 5, dobit ? 0x8000 : 0);
	put16(p + 9, 0);
}

/*
 * The query we send: the client's question as it wrote it (its case too:
 * the reply must echo it), a random id, RD, and EDNS with DO as asked,
 * with an ECS option when the query has one.
 */
size_t
dnsmsg_query(uint8_t *out, size_t outlen, const struct dnsmsg_q *q,
    int dobit, int cd)
{
	size_t	len = DNS_HEADER_SIZE + q->qlen + 4 + DNSMSG_OPT_LEN;
	size_t	n = q->ecs != NULL ? (q->ecs->len + 7) / 8 : 0;
	uint8_t	*o;

	if (len + (q->ecs != NULL ? 8 + n : 0) > outlen)
		return 0;
	memset(out, 0, DNS_HEADER_SIZE);
	put16(out, q->id);
	put16(out + 2, DNS_FLAG_RD | (cd ? DNS_FLAG_CD : 0));
	put16(out + 4, 1);
	put16(out + 10, 1);
	memcpy(out + DNS_HEADER_SIZE, q->qname, q->qlen);
	put16(out + DNS_HEADER_SIZE + q->qlen, q->qtype);
	put16(out + DNS_HEADER_SIZE + q->qlen + 2, q->qclass);
	put_opt(out + DNS_HEADER_SIZE + q->qlen + 4, dobit);
	if (q->ecs != NULL) {
		o = out + len;
		put16(out + len - 2, 8 + n);
		put16(o, DNS_OPT_ECS);
		put16(o + 2, 4 + n);
		put16(o + 4, q->ecs->family);
		o[6] = q->ecs->len;
		o[7] = 0;
		memcpy(o + 8, q->ecs->addr, n);
		len += 8 + n;
	}
	return len;
}

/* The scope of an ECS option in an OPT's data, or -1 when none. */
static int
opt_ecs_scope(const uint8_t *p, size_t start, size_t end)
{
	size_t	off = start, olen;

	while (off + 4 <= end) {
		olen = get16(p + off + 2);
		if (off + 4 + olen > end)
			return -1;
		if (get16(p + off) == DNS_OPT_ECS && olen >= 4)
			return p[off + 7];
		off += 4 + olen;
	}
	return -1;
}

/*
 * A name at *pos: labels, and compression pointers that each point before
 * themselves, at most MAX_POINTERS of them, the whole at most 255 bytes
 * (a loop makes it longer than that).  *pos moves past the name as it
 * stands in the record.
 */
static int
walk_name(const uint8_t *m, size_t len, size_t *pos)
{
	size_t	p = *pos, end = 0, total = 0;
	int	hops = 0;
	uint8_t	c;

	for (;;) {
		if (p >= len)
			return -1;
		c = m[p];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (p + 1 >= len || ++hops > MAX_POINTERS)
				return -1;
			target = (size_t)(c & 0x3f) << 8 | m[p + 1];
			if (target >= p)
				return -1;
			if (end == 0)
				end = p + 2;
			p = target;
			continue;
		}
		if (c & 0xc0)
			return -1;
		total += 1 + c;
		if (total > DNS_MAX_NAME)
			return -1;
		if (c == 0)
			break;
		p += 1 + c;
	}
	*pos = end != 0 ? end : p + 1;
	return 0;
}

/* The names inside the data of the types that hold them must be sound. */
static int
walk_rdata(const uint8_t *m, size_t rdstart, size_t rdend, uint16_t type)
{
	size_t	p = rdstart;

	switch (type) {
	case T_NS:
	case T_CNAME:
	case T_PTR:
	case T_DNAME:
		if (walk_name(m, rdend, &p) == -1)
			return -1;
		break;
	case T_MX:
		p += 2;
		if (p > rdend || walk_name(m, rdend, &p) == -1)
			return -1;
		break;
	case T_SRV:
		p += 6;
		if (p > rdend || walk_name(m, rdend, &p) == -1)
			return -1;
		break;
	case T_SOA:
		if (walk_name(m, rdend, &p) == -1 ||
		    walk_name(m, rdend, &p) == -1)
			return -1;
		p += 20;
		break;
	default:
		return 0;
	}
	return p == rdend ? 0 : -1;
}

static enum dnsmsg_check
bad(struct dnsmsg_info *info, enum dnsmsg_check what, const char *why)
{
	info->why = why;
	return what;
}

static uint32_t
ttl_value(uint32_t ttl)
{
	/* RFC 2181 8: the top bit set means zero */
	return ttl > 0x7fffffff ? 0 : ttl;
}

/*
 * Every record of the reply, checked to its last byte.  The OPT, if any,
 * must be the last record (so it can be cut off for a client).
 */
static enum dnsmsg_check
walk_records(const uint8_t *m, size_t len, struct dnsmsg_info *info)
{
	size_t		pos = info->qend, name, rdend;
	unsigned int	i, total;
	uint16_t	type;
	uint32_t	ttl;

	total = info->ancount + info->nscount + info->arcount;
	info->minttl = UINT32_MAX;
	for (i = 0; i < total; i++) {
		name = pos;
		if (walk_name(m, len, &pos) == -1 || pos + 10 > len)
			return bad(info, DNSMSG_MALFORMED, "a bad record name");
		type = get16(m + pos);
		ttl = ttl_value(get32(m + pos + 4));
		rdend = pos + 10 + get16(m + pos + 8);
		if (rdend > len)
			return bad(info, DNSMSG_MALFORMED,
			    "a record past the end");
		if (walk_rdata(m, pos + 10, rdend, type) == -1)
			return bad(info, DNSMSG_MALFORMED,
			    "a bad name in record data");
		if (type == DNS_TYPE_OPT) {
			if (i + 1 != total || m[name] != 0 ||
			    i < info->ancount + info->nscount)
				return bad(info, DNSMSG_MALFORMED,
				    "an OPT out of place");
			info->optoff = name;
			info->ecs_scope = opt_ecs_scope(m, pos + 10, rdend);
			info->ext_rcode = m[pos + 4];
		} else {
			if (info->nttl < DNSMSG_MAX_TTLS)
				info->ttloff[info->nttl] = pos + 4;
			if (info->nttl <= DNSMSG_MAX_TTLS)
				info->nttl++;
			if (ttl < info->minttl)
				info->minttl = ttl;
			if (type == T_SOA && i >= info->ancount &&
			    i < info->ancount + info->nscount) {
				uint32_t min = ttl_value(get32(m + rdend - 4));

				info->has_soa = 1;
				info->negttl = ttl < min ? ttl : min;
				info->soattl = pos + 4;
			}
		}
		pos = rdend;
	}
	if (pos != len)
		return bad(info, DNSMSG_MALFORMED, "data after the records");
	if (info->minttl == UINT32_MAX)
		info->minttl = 0;
	return DNSMSG_OK;
}

/*
 * Is this the reply to 'q', and is it sound?  A reply to something else
 * (another id, another question, not a reply) is MISMATCH; ours but
 * broken is MALFORMED.  Either way the caller waits on for the real one.
 */
enum dnsmsg_check
dnsmsg_check(const uint8_t *m, size_t len, const struct dnsmsg_q *q,
    struct dnsmsg_info *info)
{
	size_t	qend = DNS_HEADER_SIZE + q->qlen + 4;

	memset(info, 0, sizeof(*info));
	info->ecs_scope = -1;
	if (len < DNS_HEADER_SIZE)
		return bad(info, DNSMSG_MALFORMED, "shorter than a header");
	if (get16(m) != q->id)
		return bad(info, DNSMSG_MISMATCH, "another id");
	info->flags = get16(m + 2);
	if (!(info->flags & DNS_FLAG_QR) || DNS_OPCODE(info->flags) != 0)
		return bad(info, DNSMSG_MISMATCH, "not a reply to a query");
	if (get16(m + 4) != 1 || len < qend ||
	    memcmp(m + DNS_HEADER_SIZE, q->qname, q->qlen) != 0 ||
	    get16(m + DNS_HEADER_SIZE + q->qlen) != q->qtype ||
	    get16(m + DNS_HEADER_SIZE + q->qlen + 2) != q->qclass)
		return bad(info, DNSMSG_MISMATCH, "another question");
	info->qend = qend;
	info->ancount = get16(m + 6);
	info->nscount = get16(m + 8);
	info->arcount = get16(m + 10);
	return walk_records(m, len, info);
}

void
dnsmsg_set_ttl(uint8_t *m, size_t off, uint32_t ttl)
{
	put32(m + off, ttl);
}

static void
clamp_ttl(uint8_t *p, uint32_t min, uint32_t max)
{
	uint32_t	ttl = ttl_value(get32(p));

	put32(p, ttl < min ? min : ttl > max ? max : ttl);
}

/*
 * Every TTL of a checked reply into [min, max], as the cache keeps it;
 * one with the top bit set is 0 first (RFC 2181 8), so none goes on as
 * the upstream wrote it.  Too many records to have their offsets: found
 * again, walking the reply (checked already, so the walk holds).
 */
void
dnsmsg_clamp_ttls(uint8_t *m, size_t len, const struct dnsmsg_info *info,
    uint32_t min, uint32_t max)
{
	size_t		pos = info->qend;
	unsigned int	i, total;
	uint16_t	k;

	if (info->nttl <= DNSMSG_MAX_TTLS) {
		for (k = 0; k < info->nttl; k++)
			clamp_ttl(m + info->ttloff[k], min, max);
		return;
	}
	total = info->ancount + info->nscount + info->arcount;
	for (i = 0; i < total; i++) {
		if (walk_name(m, len, &pos) == -1 || pos + 10 > len)
			return;
		if (get16(m + pos) != DNS_TYPE_OPT)
			clamp_ttl(m + pos + 4, min, max);
		pos += 10 + get16(m + pos + 8);
	}
}

/*
 * An upstream's extended rcode (BADVERS, BADCOOKIE ...), lost with its
 * OPT, into the client's copy 'out' of 'len' bytes (of 'outlen'
 * room): in our OPT, or,
 * for a client without EDNS, which cannot be told it, SERVFAIL.
 * Returns the length, which only SERVFAIL changes.
 */
size_t
dnsmsg_ext_rcode(uint8_t *out, size_t outlen, size_t len,
    const struct query_msg *qm, uint8_t ext)
{
	if (ext == 0 || len < DNS_HEADER_SIZE)
		return len;
	if (qm->edns_size == 0)
		return dnsmsg_error(out, outlen, qm, DNS_RCODE_SERVFAIL);
	/* our OPT is the last record: its TTL's first byte */
	out[len - DNSMSG_OPT_LEN + 5] = ext;
	return len;
}

/* Cut the OPT off a checked reply, in place; returns the new length. */
size_t
dnsmsg_strip_opt(uint8_t *m, size_t len, const struct dnsmsg_info *info)
{
	if (info->optoff == 0)
		return len;
	put16(m + 10, info->arcount - 1);
	return info->optoff;
}

/* A wire name in lower case: ASCII letters only, as DNS compares them. */
void
dnsmsg_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i];
}

/* Is the wire name 'name' at or below 'apex'?  Both lower case. */
int
dnsmsg_name_below(const uint8_t *name, size_t len, const uint8_t *apex,
    size_t apexlen)
{
	size_t	off = 0;

	while (len - off > apexlen) {
		if (name[off] == 0)
			return 0;
		off += 1 + name[off];
	}
	return len - off == apexlen && memcmp(name + off, apex, apexlen) == 0;
}

static size_t
client_limit(const struct query_msg *qm)
{
	if (qm->ctx.tcp)
		return DNS_MAX_MSG;
	if (qm->edns_size == 0)
		return DNS_MAX_UDP;
	return qm->edns_size < EDNS_MAX_UDP ? qm->edns_size : EDNS_MAX_UDP;
}

/*
 * An Extended DNS Error (RFC 8914) added to the OPT at 'optoff' of the
 * message 'm' of 'len' bytes (ours, built for 'qm': the OPT is the last
 * record, its options, if any, already at the end).  With its extra
 * text when that fits what the client takes (512, its buffer up to
 * 1232, or 65535 over TCP) and 'size'; the code alone when only that
 * fits; nothing when not even that does, or the client has no EDNS.
 * Returns the new length.
 */
size_t
dnsmsg_ede(uint8_t *m, size_t size, size_t len, size_t optoff,
    const struct query_msg *qm, uint16_t code, const char *text)
{
	size_t	limit = client_limit(qm), tlen, room;

	if (qm->edns_size == 0 || optoff + DNSMSG_OPT_LEN > len ||
	    m[optoff] != 0 || get16(m + optoff + 1) != DNS_TYPE_OPT)
		return len;
	if (limit > size)
		limit = size;
	if (len + 6 > limit)
		return len;
	room = limit - len - 6;
	tlen = text != NULL ? strnlen(text, DNSMSG_EDE_TEXT) : 0;
	if (tlen > room)
		tlen = 0;
	put16(m + len, DNS_OPT_EDE);
	put16(m + len + 2, 2 + tlen);
	put16(m + len + 4, code);
	if (tlen > 0)
		memcpy(m + len + 6, text, tlen);
	put16(m + optoff + 9, get16(m + optoff + 9) + 6 + tlen);
	return len + 6 + tlen;
}

static uint16_t
client_flags(const struct query_msg *qm, uint16_t upstream)
{
	uint16_t	f = DNS_FLAG_QR | DNS_FLAG_RA | (DNS_RCODE(upstream));

	f |= qm->flags & (DNS_FLAG_RD | DNS_FLAG_CD);
	/* a truncated reply even over TCP: the client must know it is */
	f |= upstream & DNS_FLAG_TC;
	/* RFC 6840 5.8: AD only to a client that asked with AD or DO */
	if ((upstream & DNS_FLAG_AD) && ((qm->flags & DNS_FLAG_AD) || qm->edns_do))
		f |= DNS_FLAG_AD;
	return f;
}

/*
 * A reply of our own to 'qm': the header with 'rcode', its question, and
 * our OPT when it had EDNS.
 */
size_t
dnsmsg_error(uint8_t *out, size_t outlen, const struct query_msg *qm,
    int rcode)
{
	size_t	len = DNS_HEADER_SIZE + qm->qname_len + 4;

	if (len + DNSMSG_OPT_LEN > outlen)
		return 0;
	memset(out, 0, DNS_HEADER_SIZE);
	put16(out, qm->id);
	put16(out + 2, client_flags(qm, DNS_RCODE(rcode)));
	put16(out + 4, 1);
	memcpy(out + DNS_HEADER_SIZE, qm->qname, qm->qname_len);
	put16(out + DNS_HEADER_SIZE + qm->qname_len, qm->qtype);
	put16(out + DNS_HEADER_SIZE + qm->qname_len + 2, qm->qclass);
	if (qm->edns_size > 0) {
		put16(out + 10, 1);
		put_opt(out + len, qm->edns_do);
		len += DNSMSG_OPT_LEN;
	}
	return len;
}

/*
 * The client's copy of a checked reply without its OPT ('wire', fresh or
 * from a cache): its id, its question's case, our flags, TTLs aged by
 * 'age' seconds (or 30 for a stale answer), our OPT when it has EDNS.
 * A local answer keeps its AA and gets no RA, as when it was built.
 * Too large for the client: the question alone with TC.
 */
size_t
dnsmsg_answer(uint8_t *out, size_t outlen, const uint8_t *wire, size_t wlen,
    const uint16_t *ttloff, uint16_t nttl, const struct query_msg *qm,
    uint32_t age, enum dnsmsg_copy how)
{
	size_t		len = wlen;
	uint32_t	ttl;
	uint16_t	i, upstream = get16(wire + 2);
	uint16_t	flags;

	flags = client_flags(qm, upstream);
	if (how == DNSMSG_LOCAL)
		flags = (flags & ~DNS_FLAG_RA) | (upstream & DNS_FLAG_AA);
	if (wlen + (qm->edns_size ? DNSMSG_OPT_LEN : 0) > client_limit(qm) ||
	    wlen + DNSMSG_OPT_LEN > outlen) {
		len = dnsmsg_error(out, outlen, qm, DNS_RCODE(upstream));
		put16(out + 2, flags | DNS_FLAG_TC);
		return len;
	}
	memcpy(out, wire, wlen);
	put16(out, qm->id);
	put16(out + 2, flags);
	memcpy(out + DNS_HEADER_SIZE, qm->qname, qm->qname_len);
	for (i = 0; i < nttl; i++) {
		ttl = get32(out + ttloff[i]);
		if (how == DNSMSG_STALE)
			ttl = DNSMSG_STALE_TTL;
		else
			ttl = ttl > age ? ttl - age : 0;
		put32(out + ttloff[i], ttl);
	}
	if (qm->edns_size > 0) {
		put16(out + 10, get16(out + 10) + 1);
		put_opt(out + len, qm->edns_do);
		len += DNSMSG_OPT_LEN;
	}
	return len;
}

/*
 * The answer for a blocked name.  'kind' is the list's answer: NXDOMAIN,
 * REFUSED, the null address (0.0.0.0 or :: for A or AAAA), or an address
 * of its own; another type at a name answered with an address is NODATA.
 * NXDOMAIN and NODATA carry an SOA of our own, owned by the listed name
 * that matched, so that clients cache the answer for a minute.
 */
size_t
dnsmsg_blocked(uint8_t *out, size_t outlen, const struct query_msg *qm,
    uint32_t kind, const struct bl_addr *addr, const uint8_t *listed,
    size_t llen)
{
	static const struct bl_addr	 null4 = { .af = AF_INET };
	static const struct bl_addr	 null6 = { .af = AF_INET6 };
	const struct bl_addr		*a = NULL;
	size_t				 len, alen, opt = 0;
	uint8_t				 save[DNSMSG_OPT_LEN];

	if (kind == BL_ANSWER_REFUSED)
		return dnsmsg_error(out, outlen, qm, DNS_RCODE_REFUSED);
	if (kind == BL_ANSWER_NULL)
		a = qm->qtype == 1 ? &null4 : qm->qtype == 28 ? &null6 : NULL;
	else if (kind == BL_ANSWER_ADDRESS && ((addr->af == AF_INET &&
	    qm->qtype == 1) || (addr->af == AF_INET6 && qm->qtype == 28)))
		a = addr;
	len = dnsmsg_error(out, outlen, qm, kind == BL_ANSWER_NXDOMAIN ?
	    DNS_RCODE_NXDOMAIN : DNS_RCODE_NOERROR);
	if (qm->edns_size > 0) {
		/* our OPT goes last, after what is added here */
		opt = DNSMSG_OPT_LEN;
		len -= opt;
		memcpy(save, out + len, opt);
	}
	alen = a == NULL ? 0 : a->af == AF_INET ? 4 : 16;
	if (len + 12 + alen + llen + 10 + 8 + 20 + opt > outlen)
		return 0;
	if (a != NULL) {
		/* the question's name, then A or AAAA */
		put16(out + len, 0xc000 | DNS_HEADER_SIZE);
		put16(out + len + 2, qm->qtype);
		put16(out + len + 4, DNS_CLASS_IN);
		put32(out + len + 6, DNSMSG_BLOCKED_TTL);
		put16(out + len + 10, alen);
		memcpy(out + len + 12, &a->a, alen);
		len += 12 + alen;
		put16(out + 6, 1);
	} else {
		/* SOA: the listed name; mname and rname point back to it */
		size_t	owner = len;

		memcpy(out + len, listed, llen);
		len += llen;
		put16(out + len, T_SOA);
		put16(out + len + 2, DNS_CLASS_IN);
		put32(out + len + 4, DNSMSG_BLOCKED_TTL);
		put16(out + len + 8, 4 + 20);
		put16(out + len + 10, 0xc000 | owner);
		put16(out + len + 12, 0xc000 | owner);
		put32(out + len + 14, 1);
		put32(out + len + 18, 3600);
		put32(out + len + 22, 600);
		put32(out + len + 26, 86400);
		put32(out + len + 30, DNSMSG_BLOCKED_TTL);
		len += 34;
		put16(out + 8, 1);
	}
	if (opt) {
		memcpy(out + len, save, opt);
		len += opt;
	}
	return len;
}
