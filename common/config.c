#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "vpndnsd.h"
#include "log.h"

#define ACL_MAX		65536

/* The settings a reload may change, before the configuration's own. */
void
reconf_main_defaults(struct reconf_main *m)
{
	memset(m, 0, sizeof(*m));
	m->tcp_idle = TCP_IDLE_TIMEOUT;
	m->tcp_msgtimeout = TCP_MESSAGE_TIMEOUT;
	m->tcp_maxconn = TCP_MAX_CONNECTIONS;
	m->tcp_perclient = TCP_MAX_PER_CLIENT;
	m->tcp_inflight = TCP_MAX_INFLIGHT;
	m->upstream_inflight = UPSTREAM_INFLIGHT;
	m->rrl_slip = RRL_SLIP;
	m->rrl_v4len = RRL_V4LEN;
	m->rrl_v6len = RRL_V6LEN;
}

struct vpndnsd_conf *
config_new(void)
{
	struct vpndnsd_conf	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	strlcpy(conf->user, VPNDNSD_USER, sizeof(conf->user));
	strlcpy(conf->chroot, VPNDNSD_CHROOT, sizeof(conf->chroot));
	strlcpy(conf->pidfile, VPNDNSD_PIDFILE, sizeof(conf->pidfile));
	reconf_main_defaults(&conf->main);
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->domains);
	TAILQ_INIT(&conf->records);
	TAILQ_INIT(&conf->sources);
	TAILQ_INIT(&conf->forwarders);
	TAILQ_INIT(&conf->blocklists);
	TAILQ_INIT(&conf->matches);
	return conf;
}

void
match_free(struct match_conf *m)
{
	size_t	i;

	for (i = 0; i < m->nquery; i++)
		free(m->query[i]);
	free(m->query);
	free(m->from);
	free(m->block);
	free(m);
}

/* With the files the parent opened and did not pass on yet. */
void
blocklist_free(struct blocklist_conf *b)
{
	size_t	i;

	for (i = 0; i < b->nfiles; i++) {
		free(b->files[i]);
		if (b->fds[i] != -1)
			close(b->fds[i]);
	}
	for (i = 0; i < b->nallows; i++)
		free(b->allows[i]);
	free(b->allows);
	free(b);
}

void
record_free(struct record_conf *r)
{
	free(r->name);
	free(r->rdata);
	free(r);
}

/* Drop what a reload replaces; the listeners and settings stay. */
void
config_clear_data(struct vpndnsd_conf *conf)
{
	struct domain_conf	*d;
	struct record_conf	*r;
	struct source_conf	*w;
	struct peer_conf	*p;
	struct forwarder_conf	*f;
	struct match_conf	*m;
	struct blocklist_conf	*b;
	int			 i;

	while ((b = TAILQ_FIRST(&conf->blocklists)) != NULL) {
		TAILQ_REMOVE(&conf->blocklists, b, entry);
		blocklist_free(b);
	}
	while ((f = TAILQ_FIRST(&conf->forwarders)) != NULL) {
		TAILQ_REMOVE(&conf->forwarders, f, entry);
		free(f);
	}
	while ((m = TAILQ_FIRST(&conf->matches)) != NULL) {
		TAILQ_REMOVE(&conf->matches, m, entry);
		match_free(m);
	}
	while ((w = TAILQ_FIRST(&conf->sources)) != NULL) {
		TAILQ_REMOVE(&conf->sources, w, entry);
		while ((p = TAILQ_FIRST(&w->peers)) != NULL) {
			TAILQ_REMOVE(&w->peers, p, entry);
			free(p);
		}
		free(w);
	}
	while ((d = TAILQ_FIRST(&conf->domains)) != NULL) {
		TAILQ_REMOVE(&conf->domains, d, entry);
		free(d);
	}
	while ((r = TAILQ_FIRST(&conf->records)) != NULL) {
		TAILQ_REMOVE(&conf->records, r, entry);
		record_free(r);
	}
	for (i = 0; i < PLIST_MAX; i++) {
		free(conf->lists[i].p);
		conf->lists[i].p = NULL;
		conf->lists[i].n = 0;
	}
	conf->acl_set = 0;
}

void
config_free(struct vpndnsd_conf *conf)
{
	struct listen_conf	*l;

	if (conf == NULL)
		return;
	config_clear_data(conf);
	while ((l = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, l, entry);
		free(l);
	}
	free(conf);
}

int
prefixlist_add(struct prefixlist *l, const struct prefix *p)
{
	struct prefix	*n;

	if (l->n >= ACL_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((n = reallocarray(l->p, l->n + 1, sizeof(*n))) == NULL)
		return -1;
	l->p = n;
	l->p[l->n++] = *p;
	return 0;
}

int
prefixlist_match(const struct prefixlist *l, const union sockunion *su)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (prefix_match(&l->p[i], su))
			return 1;
	return 0;
}

static int
prefix_hostbits_clear(const uint8_t *a, size_t alen, unsigned int plen)
{
	size_t	i;

	for (i = 0; i < alen; i++) {
		unsigned int bits = i * 8;
		uint8_t mask;

		if (bits + 8 <= plen)
			continue;
		mask = bits >= plen ? 0xff : 0xff >> (plen - bits);
		if (a[i] & mask)
			return 0;
	}
	return 1;
}

/*
 * "ADDR" or "ADDR/LEN".  Host bits must be zero: "10.1.2.3/8" is far more
 * often a mistake than a shorthand.  Returns 0, or -1 with errno EINVAL
 * (not an address or length) or EDOM (host bits set).
 */
int
prefix_parse(const char *s, struct prefix *p)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long	 len;
	unsigned int	 max;

	memset(p, 0, sizeof(*p));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		goto bad;
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->af = AF_INET6;
		max = 128;
	} else
		goto bad;
	p->len = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9')
			goto bad;
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno != 0 || *end != '\0' || len > max)
			goto bad;
		p->len = len;
	}
	if (!prefix_hostbits_clear(p->af == AF_INET ?
	    (const uint8_t *)&p->addr.v4 : (const uint8_t *)&p->addr.v6,
	    max / 8, p->len)) {
		errno = EDOM;
		return -1;
	}
	return 0;
 bad:
	errno = EINVAL;
	return -1;
}

static int
prefix_bits_match(const uint8_t *a, const uint8_t *b, unsigned int len)
{
	unsigned int	full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

int
prefix_match(const struct prefix *p, const union sockunion *su)
{
	if (p->af != su->sa.sa_family)
		return 0;
	if (p->af == AF_INET)
		return prefix_bits_match((const uint8_t *)&p->addr.v4,
		    (const uint8_t *)&su->sin.sin_addr, p->len);
	return prefix_bits_match((const uint8_t *)&p->addr.v6,
	    (const uint8_t *)&su->sin6.sin6_addr, p->len);
}

int
prefix_print(const struct prefix *p, char *buf, size_t len)
{
	char	addr[INET6_ADDRSTRLEN];

	if (inet_ntop(p->af, &p->addr, addr, sizeof(addr)) == NULL)
		return -1;
	if (p->len == (p->af == AF_INET ? 32 : 128))
		return snprintf(buf, len, "%s", addr);
	return snprintf(buf, len, "%s/%u", addr, p->len);
}

socklen_t
sockunion_len(const union sockunion *su)
{
	return su->sa.sa_family == AF_INET6 ? sizeof(su->sin6) :
	    sizeof(su->sin);
}

/* 0.0.0.0 or ::, whose queries' destinations must be asked for */
int
sockunion_is_wildcard(const union sockunion *su)
{
	if (su->sa.sa_family == AF_INET)
		return su->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&su->sin6.sin6_addr);
}

/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it
 * is, port kept, so that ACLs, rules, rate limits, logs and outgoing
 * headers all see one form of a client, however it reached us (a dual
 * stack socket, a PROXY header, an ECS option).  Returns 1 when it was
 * one.
 */
int
sockunion_unmap(union sockunion *su)
{
	struct sockaddr_in	sin;

	if (su->sa.sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&su->sin6.sin6_addr))
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = su->sin6.sin6_port;
	memcpy(&sin.sin_addr, &su->sin6.sin6_addr.s6_addr[12], 4);
	memset(su, 0, sizeof(*su));
	su->sin = sin;
	return 1;
}

/* For log lines: "addr port", in a static buffer. */
const char *
sockunion_ntop(const union sockunion *su)
{
	static char	buf[INET6_ADDRSTRLEN + 16];
	char		addr[INET6_ADDRSTRLEN];

	switch (su->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &su->sin.sin_addr, addr, sizeof(addr));
		snprintf(buf, sizeof(buf), "%s port %u", addr,
		    ntohs(su->sin.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &su->sin6.sin6_addr, addr, sizeof(addr));
		snprintf(buf, sizeof(buf), "%s port %u", addr,
		    ntohs(su->sin6.sin6_port));
		break;
	default:
		snprintf(buf, sizeof(buf), "(family %d)", su->sa.sa_family);
	}
	return buf;
}

/* A WireGuard key in base64: 44 characters, 32 bytes. */
int
wg_key_decode(const char *b64, uint8_t *key)
{
	ldns_rdf	*rdf;
	int		 ok;

	if (strlen(b64) != 44 || b64[43] != '=' ||
	    ldns_str2rdf_b64(&rdf, b64) != LDNS_STATUS_OK)
		return 0;
	if ((ok = ldns_rdf_size(rdf) == WG_KEY_LEN))
		memcpy(key, ldns_rdf_data(rdf), WG_KEY_LEN);
	ldns_rdf_deep_free(rdf);
	return ok;
}

/*
 * Its base64 form, as wg(8) prints it: 44 characters and a NUL in 'out'.
 * A table, not ldns: wgwatch encodes every key of every poll.
 */
void
wg_key_encode(const uint8_t *key, char *out)
{
	static const char	b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		v;
	size_t			i, o = 0;

	for (i = 0; i + 3 <= WG_KEY_LEN; i += 3) {
		v = key[i] << 16 | key[i + 1] << 8 | key[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 0x3f];
		out[o++] = b64[(v >> 6) & 0x3f];
		out[o++] = b64[v & 0x3f];
	}
	/* 32 bytes: two left over, one '=' */
	v = key[i] << 16 | key[i + 1] << 8;
	out[o++] = b64[v >> 18];
	out[o++] = b64[(v >> 12) & 0x3f];
	out[o++] = b64[(v >> 6) & 0x3f];
	out[o++] = '=';
	out[o] = '\0';
}

/* What a source is called in the configuration, logs and listings. */
const char *
src_kind_name(uint32_t kind)
{
	static const char	*names[SRC_KINDS] = {
		[SRC_WIREGUARD] = "wireguard",
		[SRC_IPSEC] = "ipsec",
		[SRC_OPENVPN] = "openvpn",
	};

	return kind < SRC_KINDS ? names[kind] : "?";
}
