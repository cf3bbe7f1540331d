/*
 * frontend/dnswire.c: a corpus of good and malformed queries, each with
 * the verdict vpndnsd.8 documents, the replies the frontend writes itself,
 * and mutated packets that must never crash the parser.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "tap.h"

struct vector {
	char			*what;
	char			*hex;
	enum dnswire_verdict	 verdict;
};

#define CORPUS		"regress/corpus/queries.txt"
#define MAX_VECTORS	256

/* pieces of packets for the tests written here */
#define Q	"036e61730376706e04746573740000010001"
#define OPT	"0000290200000000000000"

static struct vector	vectors[MAX_VECTORS];
static size_t		nvectors;

static int
verdict_of(const char *s, enum dnswire_verdict *v)
{
	static const enum dnswire_verdict all[] = { DNSWIRE_OK, DNSWIRE_DROP,
	    DNSWIRE_FORMERR, DNSWIRE_NOTIMP, DNSWIRE_BADVERS };
	size_t	i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, dnswire_verdict_name(all[i])) == 0) {
			*v = all[i];
			return 0;
		}
	return -1;
}

/* The corpus the integration test sends to the daemon too. */
static void
load_corpus(const char *path)
{
	FILE	*f;
	char	 line[4096], *verdict, *hex, *what;

	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && nvectors < MAX_VECTORS) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		verdict = strtok(line, "\t");
		hex = strtok(NULL, "\t");
		what = strtok(NULL, "\t");
		if (verdict == NULL || hex == NULL || what == NULL ||
		    verdict_of(verdict, &vectors[nvectors].verdict) == -1) {
			ok(0, "corpus line: %s", line);
			continue;
		}
		vectors[nvectors].hex = strdup(strcmp(hex, "-") ? hex : "");
		vectors[nvectors].what = strdup(what);
		nvectors++;
	}
	fclose(f);
	ok(nvectors >= 40, "%zu queries in the corpus", nvectors);
}

static size_t
unhex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t	n = 0;

	while (hex[0] && hex[1] && n < outlen) {
		char b[3] = { hex[0], hex[1], 0 };
		out[n++] = strtoul(b, NULL, 16);
		hex += 2;
	}
	return n;
}

static void
test_vectors(void)
{
	struct dns_query	q;
	uint8_t			pkt[1024];
	size_t			i, len;
	enum dnswire_verdict	v;

	for (i = 0; i < nvectors; i++) {
		len = unhex(vectors[i].hex, pkt, sizeof(pkt));
		v = dnswire_parse_query(pkt, len, &q);
		ok(v == vectors[i].verdict, "%s: %s (got %s)", vectors[i].what,
		    dnswire_verdict_name(vectors[i].verdict),
		    dnswire_verdict_name(v));
	}
}

/* A name of exactly 255 bytes passes, one of 256 does not. */
static void
test_name_length(void)
{
	struct dns_query	q;
	uint8_t			pkt[600];
	size_t			len = 12, i;

	memcpy(pkt, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	for (i = 0; i < 4; i++) {	/* 4 x 63 + 4 = 256 bytes... */
		pkt[len++] = 62;	/* ...of 62-byte labels: 252 */
		memset(pkt + len, 'a', 62);
		len += 62;
	}
	pkt[len++] = 1;			/* 254 */
	pkt[len++] = 'b';
	pkt[len++] = 0;			/* 255 with the root */
	memcpy(pkt + len, "\x00\x01\x00\x01", 4);
	ok(dnswire_parse_query(pkt, len + 4, &q) == DNSWIRE_OK &&
	    q.qname_len == 255, "a 255-byte name is accepted");
	pkt[len - 2] = 2;		/* one byte longer */
	memmove(pkt + len + 1, pkt + len - 1, 5);
	pkt[len - 1] = 'c';
	ok(dnswire_parse_query(pkt, len + 5, &q) == DNSWIRE_FORMERR,
	    "a 256-byte name is FORMERR");
}

static void
test_fields(void)
{
	struct dns_query	q;
	uint8_t			pkt[512];
	size_t			len;

	len = unhex("abcd01300001000000000001" "034e6153" "00" "001c0001"
	    "0000290010000080000000", pkt, sizeof(pkt));
	ok(dnswire_parse_query(pkt, len, &q) == DNSWIRE_OK, "parses");
	ok(q.id == 0xabcd && q.qtype == 28 && q.qclass == 1,
	    "id, type and class");
	ok(q.qname_len == 5 && memcmp(q.qname, "\x03NaS\x00", 5) == 0,
	    "the name as sent, case kept");
	ok(q.flags == 0x0130, "flags as sent (RD, AD, CD)");
	ok(q.edns && q.edns_size == 512 && q.edns_do && q.edns_version == 0,
	    "an EDNS buffer below 512 counts as 512; DO seen");
	ok(!q.ecs, "no ECS");

	/* dnsdist's E5: an IPv6 client, /56 */
	len = unhex("000001200001000000000001027636036563730474657374000001"
	    "000100002904d000000000000f0008000b0002380000000000000000", pkt,
	    sizeof(pkt));
	ok(dnswire_parse_query(pkt, len, &q) == DNSWIRE_OK && q.ecs &&
	    q.ecs_len == 56 && q.ecs_addr.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&q.ecs_addr.sin6.sin6_addr),
	    "ECS: family 2, /56, the address");
	/* ECS 10.1.16.0/20 */
	len = unhex("1234010000010000000000010377777703656373047465737400000100"
	    "01000029020000000000000b00080007000114000a0110", pkt,
	    sizeof(pkt));
	ok(dnswire_parse_query(pkt, len, &q) == DNSWIRE_OK && q.ecs &&
	    q.ecs_len == 20 && q.ecs_addr.sa.sa_family == AF_INET &&
	    q.ecs_addr.sin.sin_addr.s_addr == htonl(0x0a011000) &&
	    q.ecs_addr.sin.sin_port == 0,
	    "ECS: family 1, /20, 10.1.16.0, port 0");
}

static void
test_replies(void)
{
	struct dns_query	q;
	uint8_t			pkt[512], out[DNSWIRE_REPLY_MAX], want[512];
	size_t			len, olen, wlen;

	len = unhex("123429000001000000000000" Q, pkt, sizeof(pkt));
	dnswire_parse_query(pkt, len, &q);
	olen = dnswire_reply(&q, DNS_RCODE_NOTIMP, out, sizeof(out));
	wlen = unhex("1234a9040000000000000000", want, sizeof(want));
	ok(olen == wlen && memcmp(out, want, wlen) == 0,
	    "NOTIMP: the header alone, opcode and RD kept");

	len = unhex("123401000002000000000000" Q Q, pkt, sizeof(pkt));
	dnswire_parse_query(pkt, len, &q);
	olen = dnswire_reply(&q, DNS_RCODE_FORMERR, out, sizeof(out));
	wlen = unhex("123481010000000000000000", want, sizeof(want));
	ok(olen == wlen && memcmp(out, want, wlen) == 0,
	    "FORMERR: the header alone");

	len = unhex("123401000001000000000001" Q OPT, pkt, sizeof(pkt));
	dnswire_parse_query(pkt, len, &q);
	olen = dnswire_reply(&q, DNS_RCODE_REFUSED, out, sizeof(out));
	wlen = unhex("123481050001000000000001" Q "000029" "04d0" "00000000"
	    "0006" "000f0002" "0012", want, sizeof(want));
	ok(olen == wlen && memcmp(out, want, wlen) == 0,
	    "REFUSED: the question and our OPT (1232) with EDE 18 Prohibited");

	len = unhex("123401000001000000000000" Q, pkt, sizeof(pkt));
	dnswire_parse_query(pkt, len, &q);
	olen = dnswire_reply(&q, DNS_RCODE_REFUSED, out, sizeof(out));
	wlen = unhex("123481050001000000000000" Q, want, sizeof(want));
	ok(olen == wlen && memcmp(out, want, wlen) == 0,
	    "REFUSED without EDNS: no OPT, so no EDE");

	len = unhex("123401000001000000000001" Q "0000290200000100000000", pkt,
	    sizeof(pkt));
	dnswire_parse_query(pkt, len, &q);
	olen = dnswire_reply(&q, DNS_RCODE_BADVERS, out, sizeof(out));
	wlen = unhex("123481000001000000000001" Q "000029" "04d0" "01000000"
	    "0000", want, sizeof(want));
	ok(olen == wlen && memcmp(out, want, wlen) == 0,
	    "BADVERS: rcode 0 in the header, 1 in the OPT, version 0");
	ok(dnswire_reply(&q, DNS_RCODE_REFUSED, out, 20) == 0,
	    "no reply into a buffer that is too small");
}

/*
 * Mutated and cut packets: whatever the verdict, the parser stays inside
 * the packet (ASan watches) and what it returns is consistent.
 */
static void
test_mutations(void)
{
	struct dns_query	q;
	uint8_t			base[1024], pkt[1024];
	size_t			i, j, len, blen, n = 0, bad = 0;
	enum dnswire_verdict	v;

	srandom(4242);
	for (i = 0; i < 200000; i++) {
		const struct vector *vec = &vectors[random() % nvectors];

		blen = unhex(vec->hex, base, sizeof(base));
		len = blen;
		memcpy(pkt, base, len);
		for (j = random() % 4; j > 0 && len > 0; j--)
			pkt[random() % len] = random();
		if (random() % 3 == 0 && len > 0)
			len = random() % len;
		/* exact-size heap copy: any over-read is caught */
		uint8_t *heap = malloc(len ? len : 1);
		memcpy(heap, pkt, len);
		v = dnswire_parse_query(heap, len, &q);
		free(heap);
		n++;
		if (v == DNSWIRE_OK && (q.qname_len == 0 ||
		    q.qname[q.qname_len - 1] != 0))
			bad++;
	}
	ok(bad == 0, "%zu mutated packets: every accepted name is whole", n);
}

int
main(int argc, char *argv[])
{
	load_corpus(argc > 1 ? argv[1] : CORPUS);
	test_vectors();
	test_name_length();
	test_fields();
	test_replies();
	test_mutations();
	return tap_done();
}
