/*
 * TSIG (RFC 8945) as transfers, NOTIFY, updates and SOA checks use it,
 * and RFC 1982 serial arithmetic: what xfr.c and update.c share, beneath
 * both.
 */
#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

#include "log.h"
#include "resolver.h"

/* RFC 1982: is serial a newer than b? */
int
serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000U;
}

/*
 * Sign 'pkt' with 'key': a request when 'over' is NULL, else an answer
 * over that MAC (a transfer's first message over the query's, its 'next'
 * ones over the previous message's, timers only: RFC 8945 5.3.1).
 * Returns the message's own MAC, the caller's: what comes back, or the
 * next message, is signed over it.
 */
ldns_rdf *
tsig_sign(ldns_pkt *pkt, const struct tsig_conf *key, const ldns_rdf *over,
    int next)
{
	ldns_rdf	*mac = (ldns_rdf *)(uintptr_t)over;
	ldns_status	 st;

	st = next ? ldns_pkt_tsig_sign_next(pkt, key->name, key->secret,
	    TSIG_FUDGE, key->algorithm, mac, 1) : ldns_pkt_tsig_sign(pkt,
	    key->name, key->secret, TSIG_FUDGE, key->algorithm, mac);
	if (st != LDNS_STATUS_OK)
		fatalx("TSIG: %s", ldns_get_errorstr_by_id(st));
	if ((mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(pkt), 3))) == NULL)
		fatal("ldns_rdf_clone");
	return mac;
}

/*
 * What ldns_pkt_tsig_verify() does not check: the key's name, the
 * algorithm (ldns takes it from the packet, so any with our secret would
 * pass) and the time signed within the fudge (RFC 8945 5.2.3: else a
 * captured message could be replayed forever).
 */
int
tsig_ours(const ldns_rr *tsig, const struct tsig_conf *key, time_t now)
{
	const ldns_rdf	*alg, *signed_at, *fudge;
	ldns_rdf	*want;
	const uint8_t	*t;
	int64_t		 at, d;
	int		 ok;

	if (ldns_rr_rd_count(tsig) < 3 ||
	    (alg = ldns_rr_rdf(tsig, 0)) == NULL ||
	    (signed_at = ldns_rr_rdf(tsig, 1)) == NULL ||
	    (fudge = ldns_rr_rdf(tsig, 2)) == NULL ||
	    ldns_rdf_size(signed_at) != 6 || ldns_rdf_size(fudge) != 2)
		return 0;
	if (ldns_str2rdf_dname(&want, key->name) != LDNS_STATUS_OK)
		fatalx("key name %s", key->name);
	ok = ldns_dname_compare(want, ldns_rr_owner(tsig)) == 0;
	ldns_rdf_deep_free(want);
	if (ldns_str2rdf_dname(&want, key->algorithm) != LDNS_STATUS_OK)
		fatalx("algorithm %s", key->algorithm);
	ok = ok && ldns_dname_compare(want, alg) == 0;
	ldns_rdf_deep_free(want);
	t = ldns_rdf_data(signed_at);
	at = (int64_t)t[0] << 40 | (int64_t)t[1] << 32 | (int64_t)t[2] << 24 |
	    (int64_t)t[3] << 16 | (int64_t)t[4] << 8 | t[5];
	d = at > now ? at - now : now - at;
	return ok && d <= ldns_rdf2native_int16(fudge);
}

/*
 * An answer to a message we signed over 'mac' (or to an unsigned one,
 * with no key): signed by our key, over that MAC.
 */
int
tsig_answer_ok(ldns_pkt *pkt, const uint8_t *wire, size_t len,
    const struct tsig_conf *key, const ldns_rdf *mac)
{
	if (key->name[0] == '\0' || mac == NULL)
		return 1;
	return ldns_pkt_tsig(pkt) != NULL &&
	    tsig_ours(ldns_pkt_tsig(pkt), key, time(NULL)) &&
	    ldns_pkt_tsig_verify(pkt, wire, len, key->name, key->secret, mac);
}

