/*
 * resolver/localzone.c: the answer builder over a small zone, section by
 * section.
 */
#include <string.h>

#include <ldns/ldns.h>

#include "resolver.h"
#include "tap.h"

static struct localdata *ld;

static void
domain(const char *name, uint32_t ttl, uint32_t negttl)
{
	struct domain_msg	dc;

	memset(&dc, 0, sizeof(dc));
	strlcpy(dc.name, name, sizeof(dc.name));
	strlcpy(dc.nameserver, "ns.vpn.test.", sizeof(dc.nameserver));
	snprintf(dc.hostmaster, sizeof(dc.hostmaster), "hostmaster.%s", name);
	dc.ttl = ttl;
	dc.negttl = negttl;
	localdata_add_domain(ld, &dc);
}

static void
record(const char *name, uint16_t type, int64_t ttl, const char *rdata)
{
	struct record_msg	rm;

	memset(&rm, 0, sizeof(rm));
	rm.type = type;
	rm.ttl = ttl;
	localdata_add_record(ld, &rm, name, rdata);
}

/* Ask for 'name' (any case); returns the packet, or NULL if not ours. */
static ldns_pkt *
ask(const char *name, uint16_t type)
{
	ldns_rdf	*q;
	ldns_pkt	*pkt = ldns_pkt_new();
	uint8_t		 buf[256];
	size_t		 i, len;
	int		 ours;

	ldns_str2rdf_dname(&q, name);
	len = ldns_rdf_size(q);
	memcpy(buf, ldns_rdf_data(q), len);
	for (i = 0; i < len; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] += 32;
	ldns_rdf_deep_free(q);
	ours = localdata_answer(ld, buf, len, type, pkt);
	if (!ours) {
		ldns_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

static int
shape(ldns_pkt *p, ldns_pkt_rcode rcode, size_t an, size_t ns)
{
	return p != NULL && ldns_pkt_get_rcode(p) == rcode &&
	    ldns_pkt_ancount(p) == an && ldns_pkt_nscount(p) == ns &&
	    ldns_pkt_aa(p);
}

static char *
rr_str(ldns_pkt *p, ldns_pkt_section sec, size_t i)
{
	ldns_rr_list	*l = ldns_pkt_get_section_clone(p, sec);
	static char	 buf[512];
	char		*s;

	s = ldns_rr2str(ldns_rr_list_rr(l, i));
	strlcpy(buf, s, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	free(s);
	ldns_rr_list_deep_free(l);
	return buf;
}

int
main(void)
{
	ldns_pkt	*p;

	ld = localdata_new();
	domain("vpn.test.", 60, 5);
	domain("sub.vpn.test.", 100, 200);
	record("nas.vpn.test.", LDNS_RR_TYPE_A, -1, "10.0.0.10");
	record("nas.vpn.test.", LDNS_RR_TYPE_A, 20, "10.0.0.11");
	record("nas.vpn.test.", LDNS_RR_TYPE_AAAA, -1, "fd00::10");
	record("www.vpn.test.", LDNS_RR_TYPE_CNAME, -1, "nas.vpn.test.");
	record("loop1.vpn.test.", LDNS_RR_TYPE_CNAME, -1, "loop2.vpn.test.");
	record("loop2.vpn.test.", LDNS_RR_TYPE_CNAME, -1, "loop1.vpn.test.");
	record("x.y.z.vpn.test.", LDNS_RR_TYPE_TXT, -1, "\"deep\"");
	record("host.sub.vpn.test.", LDNS_RR_TYPE_A, -1, "10.1.0.1");
	localdata_finish(ld);

	p = ask("nas.vpn.test.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NOERROR, 2, 0), "two A records");
	ok(p && strcmp(rr_str(p, LDNS_SECTION_ANSWER, 1),
	    "nas.vpn.test.\t20\tIN\tA\t10.0.0.11") == 0,
	    "a record's own TTL is kept");
	ok(p && strcmp(rr_str(p, LDNS_SECTION_ANSWER, 0),
	    "nas.vpn.test.\t60\tIN\tA\t10.0.0.10") == 0,
	    "the domain's TTL is the default");
	ldns_pkt_free(p);

	p = ask("NAS.VPN.TEST.", LDNS_RR_TYPE_AAAA);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0), "lower-cased lookup of AAAA");
	ldns_pkt_free(p);

	p = ask("www.vpn.test.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NOERROR, 3, 0), "CNAME and its target's two A");
	ldns_pkt_free(p);

	p = ask("loop1.vpn.test.", LDNS_RR_TYPE_A);
	ok(p && ldns_pkt_ancount(p) == 2 &&
	    ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR,
	    "a CNAME loop ends, each of its CNAMEs once (%d records)",
	    p ? ldns_pkt_ancount(p) : 0);
	ldns_pkt_free(p);

	p = ask("none.vpn.test.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NXDOMAIN, 0, 1), "NXDOMAIN with one SOA");
	ok(p && strncmp(rr_str(p, LDNS_SECTION_AUTHORITY, 0),
	    "vpn.test.\t5\tIN\tSOA\tns.vpn.test. hostmaster.vpn.test.", 50) ==
	    0, "the SOA's TTL is min(ttl, negative-ttl)");
	ldns_pkt_free(p);

	p = ask("nas.vpn.test.", LDNS_RR_TYPE_MX);
	ok(shape(p, LDNS_RCODE_NOERROR, 0, 1), "NODATA with the SOA");
	ldns_pkt_free(p);

	p = ask("y.z.vpn.test.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NOERROR, 0, 1), "empty non-terminal: NODATA");
	ldns_pkt_free(p);
	p = ask("z.vpn.test.", LDNS_RR_TYPE_TXT);
	ok(shape(p, LDNS_RCODE_NOERROR, 0, 1), "its parent too");
	ldns_pkt_free(p);
	p = ask("w.y.z.vpn.test.", LDNS_RR_TYPE_TXT);
	ok(shape(p, LDNS_RCODE_NXDOMAIN, 0, 1), "a sibling does not exist");
	ldns_pkt_free(p);

	p = ask("host.sub.vpn.test.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0), "a name in the nested domain");
	ok(p && strncmp(rr_str(p, LDNS_SECTION_ANSWER, 0),
	    "host.sub.vpn.test.\t100", 22) == 0, "with that domain's TTL");
	ldns_pkt_free(p);
	p = ask("none.sub.vpn.test.", LDNS_RR_TYPE_A);
	ok(p && strncmp(rr_str(p, LDNS_SECTION_AUTHORITY, 0),
	    "sub.vpn.test.\t100\tIN\tSOA", 24) == 0,
	    "the nested domain's SOA, min(100, 200)");
	ldns_pkt_free(p);

	p = ask("vpn.test.", LDNS_RR_TYPE_SOA);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0), "SOA at the apex");
	ldns_pkt_free(p);
	p = ask("vpn.test.", LDNS_RR_TYPE_ANY);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0) &&
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)) ==
	    LDNS_RR_TYPE_NS, "ANY: the RRset of the lowest type (NS)");
	ldns_pkt_free(p);

	p = ask("10.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0) &&
	    strcmp(rr_str(p, LDNS_SECTION_ANSWER, 0),
	    "10.0.0.10.in-addr.arpa.\t60\tIN\tPTR\tnas.vpn.test.") == 0,
	    "a PTR for the A record");
	ldns_pkt_free(p);
	p = ask("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "d.f.ip6.arpa.", LDNS_RR_TYPE_PTR);
	ok(shape(p, LDNS_RCODE_NOERROR, 1, 0), "a PTR for the AAAA record");
	ldns_pkt_free(p);
	p = ask("10.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_A);
	ok(shape(p, LDNS_RCODE_NOERROR, 0, 0),
	    "NODATA at a reverse name outside our domains: no SOA to give");
	ldns_pkt_free(p);

	ok(ask("example.org.", LDNS_RR_TYPE_A) == NULL,
	    "a name outside our data is not ours");
	ok(ask("99.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR) == NULL,
	    "nor is an address we do not serve");
	ok(localdata_ndomains(ld) == 2, "two domains");
	localdata_free(ld);
	return tap_done();
}
