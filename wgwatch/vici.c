/*
 * strongSwan's VICI stream, as the parent relays it from its one
 * connection: a bounded codec and the IKE SAs it tells of.
 *
 * A packet is a 32-bit big-endian length and that many bytes: a type,
 * for named types a name (8-bit length), then for commands' answers and
 * events a message: elements, each a type byte,
 *	1 SECTION_START name	2 SECTION_END
 *	3 KEY_VALUE name value	4 LIST_START name
 *	5 LIST_ITEM value	6 LIST_END
 * names with an 8-bit length, values with a 16-bit one.  Every length is
 * checked against what is left of its packet, and of its element; a
 * packet over VICI_PACKET_MAX (strongSwan's own limit), sections deeper
 * than VICI_DEPTH_MAX, a list inside a list, an element of no known
 * type or a message that ends inside a section spoil the stream, and
 * wgwatch asks the parent for a new connection (and so a new list).
 *
 * The parent registers for ike-updown, child-updown and list-sa, then
 * asks list-sas: the SAs listed until its (empty) response, with the
 * events that came meanwhile, are the whole state; events change it
 * after.  Each top-level section of an event is an IKE SA (named by
 * its connection, so two clients of one connection share the name):
 * known by its "uniqueid", its client by "remote-id", present while its
 * "state" is ESTABLISHED and it has "remote-vips".  An ike-updown
 * without "up=yes" ends the SA; child-updown's up events refresh it (its
 * down events are a child's, not the IKE SA's end).  Unknown keys,
 * sections and events are stepped over.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "wgwatch.h"
#include "wire.h"

#define VICI_PACKET_MAX		(512 * 1024)
#define VICI_DEPTH_MAX		8

enum {
	VICI_CMD_REQUEST, VICI_CMD_RESPONSE, VICI_CMD_UNKNOWN,
	VICI_EVENT_REGISTER, VICI_EVENT_UNREGISTER, VICI_EVENT_CONFIRM,
	VICI_EVENT_UNKNOWN, VICI_EVENT
};

enum {
	VICI_SECTION_START = 1, VICI_SECTION_END, VICI_KEY_VALUE,
	VICI_LIST_START, VICI_LIST_ITEM, VICI_LIST_END
};

struct vici_sa {
	RB_ENTRY(vici_sa)	 entry;
	uint32_t		 uniqueid;
	char			 id[PEER_KEY_MAX];	/* remote-id */
	int64_t			 since;		/* established at */
	int			 up;		/* ESTABLISHED */
	uint16_t		 nvips;
	struct peer_addr	 vips[PEER_MAX_ADDRS];
};

RB_HEAD(vici_sas, vici_sa);

struct vici {
	uint8_t			 lenbuf[4];
	size_t			 lenhave;
	uint8_t			*pkt;		/* the packet coming in */
	size_t			 pktlen, pkthave, pktcap;
	struct vici_sas		 sas;
	size_t			 nsas;
	int			 listed;	/* list-sas answered */
	int			 dirty;		/* changed since taken */
	char			 err[128];
};

/* An IKE SA as one section of an event tells it, while it is read. */
struct sa_read {
	int			 depth;		/* of the section */
	int			 inlist;	/* remote-vips */
	int			 have_id;
	int			 bad;		/* a value that does not parse */
	struct vici_sa		 sa;
	int64_t			 established;	/* seconds ago; -1: none */
	int			 have_uniqueid;
};

static int
sa_cmp(struct vici_sa *a, struct vici_sa *b)
{
	return a->uniqueid < b->uniqueid ? -1 : a->uniqueid > b->uniqueid;
}

RB_GENERATE_STATIC_UNUSED(vici_sas, vici_sa, entry, sa_cmp)

static int
fail(struct vici *v, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static int
fail(struct vici *v, const char *fmt, ...)
{
	va_list	ap;

	if (v->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(v->err, sizeof(v->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
sas_clear(struct vici *v)
{
	struct vici_sa	*sa, *next;

	RB_FOREACH_SAFE(sa, vici_sas, &v->sas, next) {
		RB_REMOVE(vici_sas, &v->sas, sa);
		free(sa);
	}
	v->nsas = 0;
}

/* A new connection: nothing known, a list to come. */
static void
vici_reset(void *st)
{
	struct vici	*v = st;

	sas_clear(v);
	RB_INIT(&v->sas);
	v->lenhave = v->pkthave = v->pktlen = 0;
	v->listed = v->dirty = 0;
	v->err[0] = '\0';
}

static void
vici_release(void *st)
{
	struct vici	*v = st;

	sas_clear(v);
	free(v->pkt);
	v->pkt = NULL;
	v->pktcap = 0;
}

/* A reader of one packet's bytes: every take is checked. */
struct rd {
	const uint8_t	*p;
	size_t		 left;
};

static int
rd_u8(struct rd *r, uint8_t *out)
{
	if (r->left < 1)
		return -1;
	*out = *r->p++;
	r->left--;
	return 0;
}

/* 'n' bytes at '*out', in place */
static int
rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->left < n)
		return -1;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

static int
rd_name(struct rd *r, const uint8_t **name, size_t *len)
{
	uint8_t	n;

	if (rd_u8(r, &n) == -1 || rd_bytes(r, n, name) == -1)
		return -1;
	*len = n;
	return 0;
}

static int
rd_value(struct rd *r, const uint8_t **value, size_t *len)
{
	const uint8_t	*b;

	if (rd_bytes(r, 2, &b) == -1)
		return -1;
	*len = get16(b);
	return rd_bytes(r, *len, value);
}

static int
is(const uint8_t *s, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* Decimal digits only, at most 'max'. */
static int
number(const uint8_t *s, size_t len, uint64_t max, uint64_t *out)
{
	size_t	i;

	if (len == 0 || len > 20)
		return -1;
	for (*out = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || *out > (max - (s[i] - '0')) / 10)
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* A key of an IKE SA's section. */
static void
sa_key(struct sa_read *r, const uint8_t *k, size_t klen, const uint8_t *val,
    size_t vlen)
{
	uint64_t	n;

	if (is(k, klen, "uniqueid")) {
		if (number(val, vlen, UINT32_MAX, &n) == -1 || n == 0) {
			r->bad = 1;
			return;
		}
		r->sa.uniqueid = n;
		r->have_uniqueid = 1;
	} else if (is(k, klen, "remote-id")) {
		/* an identity too long to be a key is not a client's */
		if (vlen == 0 || vlen >= sizeof(r->sa.id) ||
		    memchr(val, '\0', vlen) != NULL)
			return;
		memcpy(r->sa.id, val, vlen);
		r->sa.id[vlen] = '\0';
		r->have_id = 1;
	} else if (is(k, klen, "state"))
		r->sa.up = is(val, vlen, "ESTABLISHED");
	else if (is(k, klen, "established")) {
		if (number(val, vlen, INT32_MAX, &n) == -1) {
			r->bad = 1;
			return;
		}
		r->established = n;
	}
}

/* An item of remote-vips: an IPv4 or IPv6 address. */
static void
sa_vip(struct sa_read *r, const uint8_t *val, size_t vlen)
{
	char		 buf[INET6_ADDRSTRLEN];
	struct in6_addr	 a;
	int		 af;

	if (vlen == 0 || vlen >= sizeof(buf)) {
		r->bad = 1;
		return;
	}
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	if (inet_pton(AF_INET, buf, &a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, buf, &a) == 1)
		af = AF_INET6;
	else {
		r->bad = 1;
		return;
	}
	if (r->sa.nvips == PEER_MAX_ADDRS)
		return;
	memset(&r->sa.vips[r->sa.nvips], 0, sizeof(r->sa.vips[0]));
	r->sa.vips[r->sa.nvips].af = af;
	memcpy(&r->sa.vips[r->sa.nvips].a, &a, af == AF_INET ? 4 : 16);
	r->sa.nvips++;
}

/* What an event says of an IKE SA, applied: 1 for up, 0 for its end. */
static int
sa_apply(struct vici *v, const struct sa_read *r, int up)
{
	struct vici_sa	 key, *sa;

	if (!r->have_uniqueid)
		return fail(v, "an IKE SA without a uniqueid");
	key.uniqueid = r->sa.uniqueid;
	sa = RB_FIND(vici_sas, &v->sas, &key);
	if (!up) {
		if (sa != NULL) {
			RB_REMOVE(vici_sas, &v->sas, sa);
			free(sa);
			v->nsas--;
			v->dirty = 1;
		}
		return 0;
	}
	if (!r->have_id)
		return 0;	/* no identity (or one too long): no client */
	if (sa == NULL) {
		if (v->nsas == SRC_MAX_PEERS)
			return fail(v, "more than %d IKE SAs", SRC_MAX_PEERS);
		if ((sa = calloc(1, sizeof(*sa))) == NULL)
			fatal("calloc");
		sa->uniqueid = r->sa.uniqueid;
		sa->since = time(NULL) - (r->established > 0 ?
		    r->established : 0);
		RB_INSERT(vici_sas, &v->sas, sa);
		v->nsas++;
	} else if (strcmp(sa->id, r->sa.id) != 0)
		sa->since = time(NULL);
	memcpy(sa->id, r->sa.id, sizeof(sa->id));
	sa->up = r->sa.up;
	sa->nvips = r->sa.nvips;
	memcpy(sa->vips, r->sa.vips, sizeof(sa->vips));
	v->dirty = 1;
	return 0;
}

/*
 * One message, walked whole.  'event' is 1 for list-sa and an up event,
 * 0 for an ike-updown down, -1 for what is only checked.  Sections at
 * depth 1 are IKE SAs; "up" is a top-level key (it may come before or
 * after them, so they wait in 'sas' until the end).
 */
static int
message(struct vici *v, struct rd *r, int kind)
{
	struct sa_read	 sas[4], *cur = NULL;
	const uint8_t	*name, *val;
	size_t		 nlen, vlen, nsas = 0, i;
	int		 depth = 0, inlist = 0, up = 0, more = 0;
	uint8_t		 type;

	while (r->left > 0) {
		if (rd_u8(r, &type) == -1)
			return fail(v, "truncated element");
		switch (type) {
		case VICI_SECTION_START:
			if (inlist || rd_name(r, &name, &nlen) == -1)
				return fail(v, "bad section start");
			if (++depth > VICI_DEPTH_MAX)
				return fail(v, "sections nested deeper than "
				    "%d", VICI_DEPTH_MAX);
			if (depth == 1 && kind != -1) {
				/* few per event; past them, a list again */
				if (nsas == sizeof(sas) / sizeof(sas[0])) {
					more = 1;
					cur = NULL;
					break;
				}
				cur = &sas[nsas++];
				memset(cur, 0, sizeof(*cur));
				cur->established = -1;
			}
			break;
		case VICI_SECTION_END:
			if (inlist || depth == 0)
				return fail(v, "a section end without a start");
			if (--depth == 0)
				cur = NULL;
			break;
		case VICI_KEY_VALUE:
			if (inlist || rd_name(r, &name, &nlen) == -1 ||
			    rd_value(r, &val, &vlen) == -1)
				return fail(v, "bad key/value");
			if (depth == 0 && is(name, nlen, "up"))
				up = is(val, vlen, "yes");
			else if (depth == 1 && cur != NULL)
				sa_key(cur, name, nlen, val, vlen);
			break;
		case VICI_LIST_START:
			if (inlist || rd_name(r, &name, &nlen) == -1)
				return fail(v, "bad list start");
			inlist = depth == 1 && cur != NULL &&
			    is(name, nlen, "remote-vips") ? 2 : 1;
			break;
		case VICI_LIST_ITEM:
			if (!inlist || rd_value(r, &val, &vlen) == -1)
				return fail(v, "bad list item");
			if (inlist == 2)
				sa_vip(cur, val, vlen);
			break;
		case VICI_LIST_END:
			if (!inlist)
				return fail(v, "a list end without a start");
			inlist = 0;
			break;
		default:
			return fail(v, "an element of type %u", type);
		}
	}
	if (depth != 0 || inlist)
		return fail(v, "a message that ends inside a section");
	if (more)
		return fail(v, "an event of more than %zu IKE SAs",
		    sizeof(sas) / sizeof(sas[0]));
	for (i = 0; i < nsas; i++) {
		if (sas[i].bad)
			return fail(v, "an IKE SA with a value that does not "
			    "parse");
		if (kind == 1 || (kind == 2 && up) || (kind == 3 && up))
			if (sa_apply(v, &sas[i], 1) == -1)
				return -1;
		if (kind == 2 && !up && sa_apply(v, &sas[i], 0) == -1)
			return -1;
	}
	return 0;
}

/* One whole packet. */
static int
packet(struct vici *v, const uint8_t *p, size_t len)
{
	struct rd	 r = { p, len };
	const uint8_t	*name;
	size_t		 nlen;
	uint8_t		 type;
	int		 kind;

	if (rd_u8(&r, &type) == -1)
		return fail(v, "an empty packet");
	switch (type) {
	case VICI_CMD_RESPONSE:
		/* list-sas' answer: what came so far is the whole state */
		if (message(v, &r, -1) == -1)
			return -1;
		v->listed = v->dirty = 1;
		return 0;
	case VICI_EVENT_CONFIRM:
		return r.left == 0 ? 0 : fail(v, "a confirmation with data");
	case VICI_CMD_UNKNOWN:
		return fail(v, "charon does not know list-sas");
	case VICI_EVENT_UNKNOWN:
		return fail(v, "charon does not know an event we asked for");
	case VICI_EVENT:
		if (rd_name(&r, &name, &nlen) == -1)
			return fail(v, "an event without a name");
		kind = is(name, nlen, "list-sa") ? 1 :
		    is(name, nlen, "ike-updown") ? 2 :
		    is(name, nlen, "child-updown") ? 3 : -1;
		return message(v, &r, kind);
	default:
		return fail(v, "a packet of type %u from charon", type);
	}
}

/* Bytes as they come, cut anywhere: packets are put back together. */
static int
vici_feed(void *st, struct wgtable *t, const uint8_t *data, size_t len)
{
	struct vici	*v = st;
	size_t		 n;
	uint8_t		*np;

	(void)t;
	while (len > 0) {
		if (v->lenhave < sizeof(v->lenbuf)) {
			n = sizeof(v->lenbuf) - v->lenhave;
			if (n > len)
				n = len;
			memcpy(v->lenbuf + v->lenhave, data, n);
			v->lenhave += n;
			data += n;
			len -= n;
			if (v->lenhave < sizeof(v->lenbuf))
				return 0;
			v->pktlen = get32(v->lenbuf);
			if (v->pktlen == 0 || v->pktlen > VICI_PACKET_MAX)
				return fail(v, "a packet of %zu bytes",
				    v->pktlen);
			v->pkthave = 0;
		}
		/* a whole packet where it lies is parsed there */
		if (v->pkthave == 0 && len >= v->pktlen) {
			if (packet(v, data, v->pktlen) == -1)
				return -1;
			data += v->pktlen;
			len -= v->pktlen;
			v->lenhave = 0;
			continue;
		}
		if (v->pktcap < v->pktlen) {
			if ((np = realloc(v->pkt, v->pktlen)) == NULL)
				fatal("realloc");
			v->pkt = np;
			v->pktcap = v->pktlen;
		}
		n = v->pktlen - v->pkthave;
		if (n > len)
			n = len;
		memcpy(v->pkt + v->pkthave, data, n);
		v->pkthave += n;
		data += n;
		len -= n;
		if (v->pkthave < v->pktlen)
			return 0;
		if (packet(v, v->pkt, v->pktlen) == -1)
			return -1;
		v->lenhave = 0;
	}
	return 0;
}

/*
 * Once listed, after every change: each client with an established IKE
 * SA and a virtual IP, connected, its SAs' addresses together.
 */
static int
vici_take(void *st, struct wgtable *t)
{
	struct vici	*v = st;
	struct vici_sa	*sa;
	struct wgpeer	*p;
	uint16_t	 i;

	if (!v->listed || !v->dirty)
		return 0;
	v->dirty = 0;
	wgtable_clear(t);
	RB_FOREACH(sa, vici_sas, &v->sas) {
		if (!sa->up || sa->nvips == 0)
			continue;
		if ((p = wgtable_add(t, sa->id, strlen(sa->id))) == NULL)
			return fail(v, "more than %d clients", SRC_MAX_PEERS);
		p->connected = 1;
		p->handshake = sa->since;
		for (i = 0; i < sa->nvips; i++)
			wgpeer_add_addr(p, sa->vips[i].af, &sa->vips[i].a,
			    sa->vips[i].af == AF_INET ? 32 : 128);
	}
	return 1;
}

static const char *
vici_err(const void *st)
{
	return ((const struct vici *)st)->err;
}

/*
 * The name an identity gives its client: a distinguished name's CN,
 * then an e-mail address's local part or an FQDN's first label; any
 * other identity as it is ("198.51.100.2", "Bob's laptop").
 */
static void
vici_display(const char *id, char *out, size_t len)
{
	const char	*cn, *end, *at, *dot, *s = id;
	char		 buf[PEER_KEY_MAX];
	size_t		 n, i;
	struct in6_addr	 a;

	for (cn = id; (cn = strstr(cn, "CN=")) != NULL; cn += 3)
		if (cn == id || cn[-1] == ',' || cn[-1] == ' ' ||
		    cn[-1] == '/')
			break;
	if (strchr(id, '=') != NULL && cn != NULL) {
		cn += 3;
		if ((end = strchr(cn, ',')) == NULL)
			end = cn + strlen(cn);
		n = end - cn;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, cn, n);
		buf[n] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1)
		n = strlen(s);
	else if ((at = strchr(s, '@')) != NULL && at > s)
		n = at - s;
	else if ((dot = strchr(s, '.')) != NULL && dot > s &&
	    strchr(s, ' ') == NULL) {
		n = dot - s;
		for (i = 0; s[i] != '\0'; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			    s[i] == '.'))
				n = strlen(s);	/* not a host name */
	} else
		n = strlen(s);
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

const struct parser	vici_parser = {
	sizeof(struct vici), 1, 0, vici_reset, vici_feed, vici_take,
	vici_err, vici_release, vici_display
};
