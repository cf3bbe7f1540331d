/*
 * One syslog line per query:
 *
 *	query 10.8.0.5#40000 via proxy 127.0.0.5 www.example.com A:
 *	    forwarded default 9.9.9.9, NOERROR, 2 answers, 12.3 ms
 *
 * the client (and how it was learnt), the name and type, what was done,
 * the reply's rcode and answer count, and the time since the frontend
 * read the query.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "qlog.h"

const struct verdict	qlog_local = { "local", NULL, NULL };

static uint64_t	held_us;

static uint64_t
clock_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
qlog_now(void)
{
	return held_us != 0 ? held_us : clock_us();
}

/*
 * Until qlog_release(), qlog_now() is the time of the first hold: a run
 * of queries answered from memory takes microseconds, and two clock
 * readings an answer were a measurable share of that path.
 */
void
qlog_hold(void)
{
	if (held_us == 0)
		held_us = clock_us();
}

void
qlog_release(void)
{
	held_us = 0;
}

/* A wire name as text; bytes that are not hostname-safe as \DDD. */
static void
name_text(const uint8_t *n, size_t len, char *out, size_t outlen)
{
	size_t	i = 0, o = 0, l, j;
	uint8_t	c;

	while (i < len && n[i] != 0 && o + 5 < outlen) {
		l = n[i++];
		for (j = 0; j < l && i < len && o + 5 < outlen; j++, i++) {
			c = n[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')
				out[o++] = c;
			else
				o += snprintf(out + o, outlen - o, "\\%03u", c);
		}
		out[o++] = '.';
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
}

static const char *
rcode_text(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED" };

	if (rcode == DNS_RCODE_BADVERS)
		return "BADVERS";
	return rcode >= 0 && rcode < 6 ? names[rcode] : "OTHER";
}

/* An address, and its port unless 'port' is 0. */
static void
addr_text(const union sockunion *su, int port, char *out, size_t outlen)
{
	char		a[INET6_ADDRSTRLEN] = "?";
	in_port_t	p = 0;

	if (su->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &su->sin.sin_addr, a, sizeof(a));
		p = su->sin.sin_port;
	} else if (su->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &su->sin6.sin6_addr, a, sizeof(a));
		p = su->sin6.sin6_port;
	}
	if (port)
		snprintf(out, outlen, "%s#%u", a, ntohs(p));
	else
		strlcpy(out, a, outlen);
}

/*
 * The client, and how we know it: "C#port via proxy P", "C/len via ECS
 * from S", or behind a proxy "C/len via ECS from S#port via proxy P".
 */
static void
client_text(const struct dnsq_ctx *ctx, char *out, size_t outlen)
{
	char	client[INET6_ADDRSTRLEN + 8], peer[INET6_ADDRSTRLEN + 8];
	char	sender[INET6_ADDRSTRLEN + 8];

	addr_text(&ctx->peer, 0, peer, sizeof(peer));
	switch (ctx->via) {
	case VIA_PROXY:
		addr_text(&ctx->client, 1, client, sizeof(client));
		snprintf(out, outlen, "%s via proxy %s", client, peer);
		break;
	case VIA_ECS:
		addr_text(&ctx->client, 0, client, sizeof(client));
		addr_text(&ctx->sender, ctx->proxied, sender, sizeof(sender));
		snprintf(out, outlen, "%s/%u via ECS from %s%s%s", client,
		    ctx->ecs_len, sender, ctx->proxied ? " via proxy " : "",
		    ctx->proxied ? peer : "");
		break;
	default:
		addr_text(&ctx->peer, 1, out, outlen);
		break;
	}
}

void
qlog(const struct dnsq_ctx *ctx, const uint8_t *qname, size_t qlen,
    uint16_t qtype, const struct verdict *v, int rcode, unsigned int ancount)
{
	const ldns_rr_descriptor	*d = ldns_rr_descript(qtype);
	char				 client[3 * INET6_ADDRSTRLEN + 64];
	char				 name[DNS_MAX_NAME * 4 + 2];
	char				 type[16], server[INET6_ADDRSTRLEN + 8];
	uint64_t			 us = qlog_now() - ctx->arrival_us;

	client_text(ctx, client, sizeof(client));
	name_text(qname, qlen, name, sizeof(name));
	/* ldns's descriptors call the transfers TYPE251 and TYPE252 */
	if (qtype == LDNS_RR_TYPE_AXFR || qtype == LDNS_RR_TYPE_IXFR)
		strlcpy(type, qtype == LDNS_RR_TYPE_AXFR ? "AXFR" : "IXFR",
		    sizeof(type));
	else if (d != NULL && d->_name != NULL)
		strlcpy(type, d->_name, sizeof(type));
	else
		snprintf(type, sizeof(type), "TYPE%u", qtype);
	server[0] = '\0';
	if (v->server != NULL)
		addr_text(v->server, 1, server, sizeof(server));
	log_info("query %s %s %s: %s%s%s%s%s, %s, %u answers, %llu.%03llu ms",
	    client, name, type, v->what, v->name ? " " : "",
	    v->name ? v->name : "", server[0] ? " " : "", server,
	    rcode_text(rcode), ancount,
	    (unsigned long long)us / 1000,
	    (unsigned long long)us % 1000);
}
