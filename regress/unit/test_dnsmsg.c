/*
 * common/dnsmsg.c's Extended DNS Errors: into our OPT, within what the
 * client takes (512 without EDNS, its buffer up to 1232, 65535 over TCP):
 * with the text, the code alone, or nothing.
 */
#include <string.h>

#include "dnsmsg.h"
#include "tap.h"

/* A REFUSED for a name of 'nlen' octets, to a client of buffer 'edns'. */
static size_t
refused(struct query_msg *qm, uint8_t *out, size_t outlen, size_t nlen,
    uint16_t edns, int tcp)
{
	size_t	off = 0;

	memset(qm, 0, sizeof(*qm));
	while (off + 1 < nlen) {
		size_t	l = nlen - 1 - off - 1 > 63 ? 63 : nlen - 1 - off - 1;

		if (l == 0)
			break;
		qm->qname[off] = l;
		memset(qm->qname + off + 1, 'a', l);
		off += 1 + l;
	}
	qm->qname[off++] = 0;
	qm->qname_len = off;
	qm->qtype = 1;
	qm->qclass = 1;
	qm->edns_size = edns;
	qm->ctx.tcp = tcp;
	return dnsmsg_error(out, outlen, qm, DNS_RCODE_REFUSED);
}

/* Our bare OPT as the last 11 of 'len' bytes, as if records came before. */
static void
opt_at(uint8_t *m, size_t len)
{
	static const uint8_t	opt[DNSMSG_OPT_LEN] = { 0, 0, 41, 4, 0xd0 };

	memcpy(m + len - DNSMSG_OPT_LEN, opt, sizeof(opt));
}

int
main(void)
{
	struct query_msg	qm;
	uint8_t			m[DNS_MAX_MSG];
	size_t			len, n;

	len = refused(&qm, m, sizeof(m), 20, 1232, 0);
	n = dnsmsg_ede(m, sizeof(m), len, len - DNSMSG_OPT_LEN, &qm,
	    EDE_PROHIBITED, "why");
	ok(n == len + 6 + 3 && m[len] == 0 && m[len + 1] == DNS_OPT_EDE &&
	    m[len + 3] == 5 && m[len + 5] == EDE_PROHIBITED &&
	    memcmp(m + len + 6, "why", 3) == 0 && m[len - 1] == 9,
	    "the option, its code and text, the OPT's length with them");
	n = dnsmsg_ede(m, sizeof(m), n, len - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, NULL);
	ok(n == len + 9 + 6 && m[len - 1] == 15,
	    "a second one after it, without text");

	/* a client that said 512: answers of 480, 500 and 508 bytes */
	(void)refused(&qm, m, sizeof(m), 20, 512, 0);
	opt_at(m, 480);
	n = dnsmsg_ede(m, sizeof(m), 480, 480 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, "a text of thirty bytes, at 30.");
	ok(n == 480 + 6 && m[479] == 6,
	    "past the client's buffer with its text: the code alone (%zu)", n);
	opt_at(m, 480);
	ok(dnsmsg_ede(m, sizeof(m), 480, 480 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, "fits") == 490, "within it: the text too");
	opt_at(m, 508);
	ok(dnsmsg_ede(m, sizeof(m), 508, 508 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, NULL) == 508, "no room for the code: nothing added");
	ok(dnsmsg_ede(m, 500, 490, 490 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, NULL) == 490, "nor past the buffer it is written in");
	(void)refused(&qm, m, sizeof(m), 20, 4096, 0);
	opt_at(m, 1230);
	ok(dnsmsg_ede(m, sizeof(m), 1230, 1230 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, NULL) == 1230,
	    "a buffer over 1232 counts as 1232 on UDP");
	(void)refused(&qm, m, sizeof(m), 20, 512, 1);
	opt_at(m, 1230);
	ok(dnsmsg_ede(m, sizeof(m), 1230, 1230 - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, NULL) == 1236, "over TCP, 65535");
	len = refused(&qm, m, sizeof(m), 20, 0, 0);
	ok(dnsmsg_ede(m, sizeof(m), len, len - DNSMSG_OPT_LEN, &qm,
	    EDE_BLOCKED, "x") == len, "no EDNS: no EDE");
	return tap_done();
}
