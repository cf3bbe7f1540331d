/*
 * Authoritative local data: the domains we serve (SOA and NS at the apex),
 * their static records, and a PTR for every address we serve.
 *
 * Every owner name is a node in one tree, keyed by its lower-case wire
 * form, with every record at that name.  Empty non-terminals are nodes
 * too, so "no such name" (NXDOMAIN) and "no such type" (NODATA) come out
 * of a single lookup.  Reverse names outside our domains are nodes with no
 * zone: answered, but with no SOA to offer in a negative answer.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "dnsmsg.h"
#include "json.h"
#include "log.h"
#include "resolver.h"

#define CNAME_CHAIN_MAX		8
#define SOA_REFRESH		3600
#define SOA_RETRY		600
#define SOA_EXPIRE		86400

struct lzone {
	uint8_t		 apex[DNS_MAX_NAME];
	size_t		 apexlen;
	uint32_t	 ttl;
	uint32_t	 negttl;
	ldns_rr		*soa_neg;	/* SOA for negative answers */
};

struct lnode {
	RB_ENTRY(lnode)	 entry;
	uint8_t		 name[DNS_MAX_NAME];
	size_t		 namelen;
	struct lzone	*zone;
	ldns_rr_list	*rrs;
	int		 explicit_ptr;	/* a configured PTR: no synthesis */
};
RB_HEAD(lnode_tree, lnode);

struct localdata {
	struct lnode_tree	 nodes;
	struct lzone		**zones;
	size_t			 nzones;
	size_t			 nrecords;
};

static int
lnode_cmp(struct lnode *a, struct lnode *b)
{
	if (a->namelen != b->namelen)
		return a->namelen < b->namelen ? -1 : 1;
	return memcmp(a->name, b->name, a->namelen);
}

RB_GENERATE_STATIC_UNUSED(lnode_tree, lnode, entry, lnode_cmp)

struct localdata *
localdata_new(void)
{
	struct localdata	*ld;

	if ((ld = calloc(1, sizeof(*ld))) == NULL)
		fatal("calloc");
	RB_INIT(&ld->nodes);
	return ld;
}

void
localdata_free(struct localdata *ld)
{
	struct lnode	*n, *next;
	size_t		 i;

	if (ld == NULL)
		return;
	RB_FOREACH_SAFE(n, lnode_tree, &ld->nodes, next) {
		RB_REMOVE(lnode_tree, &ld->nodes, n);
		ldns_rr_list_deep_free(n->rrs);
		free(n);
	}
	for (i = 0; i < ld->nzones; i++) {
		ldns_rr_free(ld->zones[i]->soa_neg);
		free(ld->zones[i]);
	}
	free(ld->zones);
	free(ld);
}

size_t
localdata_nrecords(const struct localdata *ld)
{
	return ld->nrecords;
}

size_t
localdata_ndomains(const struct localdata *ld)
{
	return ld->nzones;
}

static struct lzone *
zone_find(const struct localdata *ld, const uint8_t *name, size_t len)
{
	struct lzone	*best = NULL;
	size_t		 i;

	for (i = 0; i < ld->nzones; i++)
		if (dnsmsg_name_below(name, len, ld->zones[i]->apex,
		    ld->zones[i]->apexlen) &&
		    (best == NULL || ld->zones[i]->apexlen > best->apexlen))
			best = ld->zones[i];
	return best;
}

static struct lnode *
node_find(const struct localdata *ld, const uint8_t *name, size_t len)
{
	struct lnode	key;

	if (len > sizeof(key.name))
		return NULL;
	memcpy(key.name, name, len);
	key.namelen = len;
	return RB_FIND(lnode_tree, (struct lnode_tree *)&ld->nodes, &key);
}

static struct lnode *
node_get(struct localdata *ld, const uint8_t *name, size_t len)
{
	struct lnode	*n;

	if ((n = node_find(ld, name, len)) != NULL)
		return n;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("calloc");
	memcpy(n->name, name, len);
	n->namelen = len;
	n->zone = zone_find(ld, name, len);
	if ((n->rrs = ldns_rr_list_new()) == NULL)
		fatal("ldns_rr_list_new");
	RB_INSERT(lnode_tree, &ld->nodes, n);
	return n;
}

static struct lnode *
node_add(struct localdata *ld, ldns_rr *rr)
{
	ldns_rdf	*owner = ldns_rr_owner(rr);
	struct lnode	*n;

	ldns_dname2canonical(owner);
	n = node_get(ld, ldns_rdf_data(owner), ldns_rdf_size(owner));
	if (!ldns_rr_list_push_rr(n->rrs, rr))
		fatal("ldns_rr_list_push_rr");
	ld->nrecords++;
	return n;
}

static ldns_rr *
rr_from_str(const char *fmt, ...)
    __attribute__((__format__(printf, 1, 2)));

static ldns_rr *
rr_from_str(const char *fmt, ...)
{
	va_list		 ap;
	ldns_rr		*rr = NULL;
	ldns_status	 st;
	char		*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	/* the parent checked every record: a failure here is a bug */
	if ((st = ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL)) !=
	    LDNS_STATUS_OK)
		fatalx("bad record \"%s\": %s", s,
		    ldns_get_errorstr_by_id(st));
	free(s);
	return rr;
}

void
localdata_add_domain(struct localdata *ld, const struct domain_msg *dc)
{
	struct lzone	*z;
	struct dname	 apex;
	char		 err[256];
	uint32_t	 serial = time(NULL);
	const char	*fmt = "%s %u IN SOA %s %s %u %u %u %u %u";

	if ((z = calloc(1, sizeof(*z))) == NULL)
		fatal("calloc");
	if (dname_parse(dc->name, &apex, err, sizeof(err)) == -1 ||
	    apex.len > sizeof(z->apex))
		fatalx("bad domain \"%s\"", dc->name);
	memcpy(z->apex, apex.wire, apex.len);
	z->apexlen = apex.len;
	z->ttl = dc->ttl;
	z->negttl = dc->negttl;
	/* RFC 2308: a negative answer lives min(SOA TTL, SOA MINIMUM) */
	z->soa_neg = rr_from_str(fmt, dc->name,
	    dc->negttl < dc->ttl ? dc->negttl : dc->ttl, dc->nameserver,
	    dc->hostmaster, serial, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE,
	    dc->negttl);

	ld->zones = reallocarray(ld->zones, ld->nzones + 1, sizeof(*ld->zones));
	if (ld->zones == NULL)
		fatal("reallocarray");
	ld->zones[ld->nzones++] = z;

	node_add(ld, rr_from_str(fmt, dc->name, dc->ttl, dc->nameserver,
	    dc->hostmaster, serial, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE,
	    dc->negttl));
	node_add(ld, rr_from_str("%s %u IN NS %s", dc->name, dc->ttl,
	    dc->nameserver));
}

void
localdata_add_record(struct localdata *ld, const struct record_msg *rm,
    const char *name, const char *rdata)
{
	const ldns_rr_descriptor	*desc = ldns_rr_descript(rm->type);
	struct lnode			*n;
	struct lzone			*z;
	ldns_rr				*rr;

	if (desc == NULL || desc->_name == NULL)
		fatalx("record \"%s\" of type %u", name, rm->type);
	rr = rr_from_str("%s 0 IN %s %s", name, desc->_name, rdata);
	n = node_add(ld, rr);
	if (rm->ttl >= 0)
		ldns_rr_set_ttl(rr, rm->ttl);
	else
		ldns_rr_set_ttl(rr, (z = n->zone) != NULL ? z->ttl :
		    DOMAIN_TTL);
	if (rm->type == LDNS_RR_TYPE_PTR)
		n->explicit_ptr = 1;
}

/* A PTR for every A and AAAA, unless the reverse name has its own. */
static void
localdata_synth_ptr(struct localdata *ld)
{
	struct lnode	*n, **fwd = NULL;
	ldns_rdf	*rev;
	ldns_rr		*rr, *ptr;
	size_t		 nfwd = 0, i, j;

	RB_FOREACH(n, lnode_tree, &ld->nodes) {
		fwd = reallocarray(fwd, nfwd + 1, sizeof(*fwd));
		if (fwd == NULL)
			fatal("reallocarray");
		fwd[nfwd++] = n;
	}
	for (i = 0; i < nfwd; i++) {
		for (j = 0; j < ldns_rr_list_rr_count(fwd[i]->rrs); j++) {
			rr = ldns_rr_list_rr(fwd[i]->rrs, j);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A &&
			    ldns_rr_get_type(rr) != LDNS_RR_TYPE_AAAA)
				continue;
			if ((rev = ldns_rdf_address_reverse(
			    ldns_rr_rdf(rr, 0))) == NULL)
				fatalx("ldns_rdf_address_reverse");
			n = node_find(ld, ldns_rdf_data(rev),
			    ldns_rdf_size(rev));
			if (n != NULL && n->explicit_ptr) {
				ldns_rdf_deep_free(rev);
				continue;
			}
			if ((ptr = ldns_rr_new()) == NULL)
				fatal("ldns_rr_new");
			ldns_rr_set_type(ptr, LDNS_RR_TYPE_PTR);
			ldns_rr_set_owner(ptr, rev);
			ldns_rr_set_ttl(ptr, ldns_rr_ttl(rr));
			ldns_rr_set_class(ptr, LDNS_RR_CLASS_IN);
			ldns_rr_push_rdf(ptr, ldns_rdf_clone(ldns_rr_owner(rr)));
			node_add(ld, ptr);
		}
	}
	free(fwd);
}

/* Every name between a node and its apex exists, if empty. */
static void
localdata_add_ents(struct localdata *ld)
{
	struct lnode	*n, **nodes = NULL;
	size_t		 count = 0, i, off;

	RB_FOREACH(n, lnode_tree, &ld->nodes) {
		nodes = reallocarray(nodes, count + 1, sizeof(*nodes));
		if (nodes == NULL)
			fatal("reallocarray");
		nodes[count++] = n;
	}
	for (i = 0; i < count; i++) {
		n = nodes[i];
		if (n->zone == NULL)
			continue;
		for (off = 0; n->namelen - off > n->zone->apexlen;
		    off += 1 + n->name[off])
			node_get(ld, n->name + off, n->namelen - off);
	}
	free(nodes);
}

void
localdata_finish(struct localdata *ld)
{
	localdata_synth_ptr(ld);
	localdata_add_ents(ld);
}

static void
push_clone(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr *rr)
{
	ldns_rr	*c;

	if ((c = ldns_rr_clone(rr)) == NULL ||
	    !ldns_pkt_push_rr(pkt, sec, c))
		fatal("ldns_pkt_push_rr");
}

/* Records of 'type' at 'n' into the answer; returns how many. */
static size_t
push_type(ldns_pkt *pkt, const struct lnode *n, uint16_t type)
{
	ldns_rr	*rr;
	size_t	 i, count = 0;

	for (i = 0; i < ldns_rr_list_rr_count(n->rrs); i++) {
		rr = ldns_rr_list_rr(n->rrs, i);
		if (ldns_rr_get_type(rr) == type) {
			push_clone(pkt, LDNS_SECTION_ANSWER, rr);
			count++;
		}
	}
	return count;
}

/* RFC 8482: ANY gets one RRset, the one of the lowest type. */
static size_t
push_any(ldns_pkt *pkt, const struct lnode *n)
{
	size_t		i;
	uint16_t	t, lowest = 0;

	for (i = 0; i < ldns_rr_list_rr_count(n->rrs); i++) {
		t = ldns_rr_get_type(ldns_rr_list_rr(n->rrs, i));
		if (lowest == 0 || t < lowest)
			lowest = t;
	}
	return lowest == 0 ? 0 : push_type(pkt, n, lowest);
}

static const ldns_rr *
node_cname(const struct lnode *n)
{
	ldns_rr	*rr;
	size_t	 i;

	for (i = 0; i < ldns_rr_list_rr_count(n->rrs); i++) {
		rr = ldns_rr_list_rr(n->rrs, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME)
			return rr;
	}
	return NULL;
}

static void
negative(ldns_pkt *pkt, const struct lzone *z, ldns_pkt_rcode rcode)
{
	ldns_pkt_set_rcode(pkt, rcode);
	if (z != NULL)
		push_clone(pkt, LDNS_SECTION_AUTHORITY, z->soa_neg);
}

/* Is the name in our domains, or one we hold outside them (a PTR)? */
int
localdata_covers(const struct localdata *ld, const uint8_t *name, size_t len)
{
	return zone_find(ld, name, len) != NULL ||
	    node_find(ld, name, len) != NULL;
}

/* The name exists here: a record's owner, or an empty name above one. */
int
localdata_has_name(const struct localdata *ld, const uint8_t *name,
    size_t len)
{
	return node_find(ld, name, len) != NULL;
}

/* NODATA for a name that exists elsewhere (a presence name). */
void
localdata_nodata(const struct localdata *ld, const uint8_t *name, size_t len,
    ldns_pkt *pkt)
{
	negative(pkt, zone_find(ld, name, len), LDNS_RCODE_NOERROR);
}

/* An empty name that must exist: it holds presence names below it. */
void
localdata_add_ent(struct localdata *ld, const uint8_t *name, size_t len)
{
	if (zone_find(ld, name, len) != NULL)
		node_get(ld, name, len);
}

/*
 * Answer 'qname' (lower-case wire form) from local data into 'pkt'.
 * Returns 0 when the name is not ours, 1 when 'pkt' holds the answer.
 * CNAMEs are followed within our data, at most CNAME_CHAIN_MAX deep.
 */
int
localdata_answer(const struct localdata *ld, const uint8_t *qname,
    size_t qlen, uint16_t qtype, ldns_pkt *pkt)
{
	const struct lzone	*z = zone_find(ld, qname, qlen);
	const struct lnode	*n = node_find(ld, qname, qlen);
	const struct lnode	*seen[CNAME_CHAIN_MAX + 1];
	const ldns_rr		*cname;
	const ldns_rdf		*target;
	int			 depth, i;

	if (z == NULL && n == NULL)
		return 0;
	ldns_pkt_set_aa(pkt, 1);
	for (depth = 0; ; depth++) {
		if (n == NULL) {
			negative(pkt, z, LDNS_RCODE_NXDOMAIN);
			return 1;
		}
		cname = node_cname(n);
		if (cname == NULL || qtype == LDNS_RR_TYPE_CNAME ||
		    qtype == LDNS_RR_TYPE_ANY)
			break;
		push_clone(pkt, LDNS_SECTION_ANSWER, cname);
		seen[depth] = n;
		target = ldns_rr_rdf(cname, 0);
		z = zone_find(ld, ldns_rdf_data(target), ldns_rdf_size(target));
		n = node_find(ld, ldns_rdf_data(target), ldns_rdf_size(target));
		if ((z == NULL && n == NULL) || depth == CNAME_CHAIN_MAX)
			return 1;	/* the client follows on */
		/* a loop: every CNAME of it is in the answer once */
		for (i = 0; i <= depth; i++)
			if (seen[i] == n)
				return 1;
	}
	if ((qtype == LDNS_RR_TYPE_ANY ? push_any(pkt, n) :
	    push_type(pkt, n, qtype)) == 0)
		negative(pkt, n->zone, LDNS_RCODE_NOERROR);
	return 1;
}

/* Every record, one presentation line each, in tree order. */
/*
 * A record as a JSON object: its owner, TTL, class, type and data in
 * presentation form, as the zone-file line has them.  Returns it
 * allocated.
 */
static char *
record_json(const ldns_rr *rr)
{
	struct json	 j;
	char		*owner, *class, *type, *data, *out;
	size_t		 i, len = 0, size;

	owner = ldns_rdf2str(ldns_rr_owner(rr));
	class = ldns_rr_class2str(ldns_rr_get_class(rr));
	type = ldns_rr_type2str(ldns_rr_get_type(rr));
	if (owner == NULL || class == NULL || type == NULL)
		fatal("ldns");
	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		len += ldns_rdf_size(ldns_rr_rdf(rr, i)) * 4 + 8;
	if ((data = calloc(1, len + 1)) == NULL)
		fatal("calloc");
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *d = ldns_rdf2str(ldns_rr_rdf(rr, i));

		if (d == NULL)
			fatal("ldns_rdf2str");
		if (i > 0)
			strlcat(data, " ", len + 1);
		strlcat(data, d, len + 1);
		free(d);
	}
	/* every byte escaped as \u00XX at worst */
	size = 6 * (strlen(owner) + strlen(data)) + 256;
	if ((out = malloc(size)) == NULL)
		fatal("malloc");
	json_init(&j, out, size);
	json_object(&j, NULL);
	json_str(&j, "name", owner);
	json_uint(&j, "ttl", ldns_rr_ttl(rr));
	json_str(&j, "class", class);
	json_str(&j, "type", type);
	json_str(&j, "data", data);
	json_close(&j);
	if (json_end(&j) == -1)
		fatalx("%s: a record's JSON does not fit", __func__);
	free(owner);
	free(class);
	free(type);
	free(data);
	return out;
}

/* Every record, as a zone-file line or with 'json' a JSON object. */
int
localdata_dump(const struct localdata *ld, int json,
    int (*cb)(const char *, void *), void *arg)
{
	struct lnode	*n;
	const ldns_rr	*rr;
	char		*s;
	size_t		 i, len;
	int		 rc;

	RB_FOREACH(n, lnode_tree, (struct lnode_tree *)&ld->nodes)
		for (i = 0; i < ldns_rr_list_rr_count(n->rrs); i++) {
			rr = ldns_rr_list_rr(n->rrs, i);
			if (json)
				s = record_json(rr);
			else if ((s = ldns_rr2str(rr)) == NULL)
				fatal("ldns_rr2str");
			len = strlen(s);
			if (len > 0 && s[len - 1] == '\n')
				s[len - 1] = '\0';
			rc = cb(s, arg);
			free(s);
			if (rc == -1)
				return -1;
		}
	return 0;
}

/* The i-th domain's apex, lower-case wire form. */
const uint8_t *
localdata_apex(const struct localdata *ld, size_t i, size_t *len)
{
	*len = ld->zones[i]->apexlen;
	return ld->zones[i]->apex;
}

/* The domain whose apex is 'name', or -1. */
int
localdata_zone_index(const struct localdata *ld, const uint8_t *name,
    size_t len)
{
	size_t	i;

	for (i = 0; i < ld->nzones; i++)
		if (ld->zones[i]->apexlen == len &&
		    memcmp(ld->zones[i]->apex, name, len) == 0)
			return i;
	return -1;
}

static const struct lnode *
zone_apex_node(const struct localdata *ld, const struct lzone *z)
{
	const struct lnode	*n;

	if ((n = node_find(ld, z->apex, z->apexlen)) == NULL)
		fatalx("a domain without its apex");
	return n;
}

/* The SOA at a domain's apex. */
static ldns_rr *
zone_soa(const struct localdata *ld, const struct lzone *z)
{
	const struct lnode	*n = zone_apex_node(ld, z);
	size_t			 i;

	for (i = 0; i < ldns_rr_list_rr_count(n->rrs); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(n->rrs, i)) ==
		    LDNS_RR_TYPE_SOA)
			return ldns_rr_list_rr(n->rrs, i);
	fatalx("a domain without its SOA");
}

/* A new serial in both of a domain's SOA records. */
void
localdata_set_serial(struct localdata *ld, size_t i, uint32_t serial)
{
	ldns_rr		*soa[2];
	ldns_rdf	*r;
	size_t		 k;

	soa[0] = zone_soa(ld, ld->zones[i]);
	soa[1] = ld->zones[i]->soa_neg;
	for (k = 0; k < 2; k++) {
		if ((r = ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial)) ==
		    NULL)
			fatal("ldns_native2rdf_int32");
		ldns_rdf_deep_free(ldns_rr_set_rdf(soa[k], r, 2));
	}
}

const ldns_rr *
localdata_zone_soa(const struct localdata *ld, size_t i)
{
	return zone_soa(ld, ld->zones[i]);
}

/*
 * The i-th domain's records into 'out', its SOA first and nothing of a
 * domain below it.
 */
void
localdata_zone(const struct localdata *ld, size_t i, ldns_rr_list *out)
{
	const struct lzone	*z = ld->zones[i];
	struct lnode		*n;
	ldns_rr			*rr, *c, *soa = zone_soa(ld, z);
	size_t			 k;

	if ((c = ldns_rr_clone(soa)) == NULL || !ldns_rr_list_push_rr(out, c))
		fatal("ldns_rr_list_push_rr");
	RB_FOREACH(n, lnode_tree, (struct lnode_tree *)&ld->nodes) {
		if (n->zone != z)
			continue;
		for (k = 0; k < ldns_rr_list_rr_count(n->rrs); k++) {
			rr = ldns_rr_list_rr(n->rrs, k);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				continue;
			if ((c = ldns_rr_clone(rr)) == NULL ||
			    !ldns_rr_list_push_rr(out, c))
				fatal("ldns_rr_list_push_rr");
		}
	}
}
