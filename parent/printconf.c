#include <sys/types.h>
#include <sys/queue.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "log.h"
#include "vpndnsd.h"
#include "parent.h"

/* Quoted so that the lexer reads back exactly 's'. */
static void
print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
print_plist(FILE *f, const char *what, const struct prefixlist *l)
{
	char	buf[INET6_ADDRSTRLEN + 8];
	size_t	i;

	fprintf(f, "%s {", what);
	for (i = 0; i < l->n; i++) {
		prefix_print(&l->p[i], buf, sizeof(buf));
		fprintf(f, " %s", buf);
	}
	fprintf(f, " }");
}

static void
print_acl(FILE *f, const struct vpndnsd_conf *conf)
{
	print_plist(f, "allow from", &conf->lists[PLIST_ALLOW]);
	fprintf(f, "\n");
	if (conf->lists[PLIST_PROXY].n > 0) {
		print_plist(f, "proxy-protocol from",
		    &conf->lists[PLIST_PROXY]);
		fprintf(f, "\n");
	}
	if (conf->lists[PLIST_ECS].n > 0) {
		print_plist(f, "client-subnet from", &conf->lists[PLIST_ECS]);
		fprintf(f, "\n");
	}
}

/* ADDRESS port N, after 'what', and the rest of the line after it. */
static void
print_addr(FILE *f, const char *what, const union sockunion *su,
    const char *after)
{
	char	addr[INET6_ADDRSTRLEN];

	inet_ntop(su->sa.sa_family, su->sa.sa_family == AF_INET ?
	    (const void *)&su->sin.sin_addr : (const void *)&su->sin6.sin6_addr,
	    addr, sizeof(addr));
	fprintf(f, "%s %s port %u%s", what, addr, ntohs(su->sa.sa_family ==
	    AF_INET ? su->sin.sin_port : su->sin6.sin6_port), after);
}

static void
print_listen(FILE *f, const char *what, const union sockunion *su)
{
	print_addr(f, what, su, "\n");
}

static void
print_tsig(FILE *f, const struct tsig_conf *k)
{
	fprintf(f, "tsig-key ");
	print_quoted(f, k->name);
	/* never the secret: the print goes to terminals and journals */
	fprintf(f, " algorithm %.*s secret \"%s\"\n",
	    (int)strcspn(k->algorithm, "."), k->algorithm, SECRET_MASK);
}

/* Was key 'k' of update 'n' printed for an earlier update line? */
static int
key_printed(const struct vpndnsd_conf *conf, uint32_t n,
    const struct tsig_conf *k)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(conf->updates[i].key.name, k->name) == 0)
			return 1;
	return 0;
}

/* The keys in use, who may ask for transfers, whom we notify. */
static void
print_xfr(FILE *f, const struct vpndnsd_conf *conf)
{
	const struct xfr_conf	*x = &conf->xfr;
	const struct tsig_conf	*k;
	uint32_t		 i;

	if (x->key.name[0] != '\0')
		print_tsig(f, &x->key);
	for (i = 0; i < conf->nupdates; i++) {
		k = &conf->updates[i].key;
		/* each key once, before its first use */
		if (k->name[0] != '\0' && strcmp(k->name, x->key.name) != 0 &&
		    !key_printed(conf, i, k))
			print_tsig(f, k);
	}
	if (conf->lists[PLIST_TRANSFER].n > 0) {
		print_plist(f, "transfer to", &conf->lists[PLIST_TRANSFER]);
		if (x->key.name[0] != '\0') {
			fprintf(f, " tsig-key ");
			print_quoted(f, x->key.name);
		}
		fprintf(f, "\n");
	}
	for (i = 0; i < x->nnotify; i++)
		print_listen(f, "notify", &x->notify[i]);
}

/* After the domains: an update names one defined above it. */
static void
print_updates(FILE *f, const struct vpndnsd_conf *conf)
{
	uint32_t	i;

	if (conf->nupdates > 0)
		fprintf(f, "\n");
	for (i = 0; i < conf->nupdates; i++) {
		print_addr(f, "update to", &conf->updates[i].addr, " zone ");
		print_quoted(f, conf->updates[i].zone);
		if (conf->updates[i].key.name[0] != '\0') {
			fprintf(f, " tsig-key ");
			print_quoted(f, conf->updates[i].key.name);
		}
		fprintf(f, "\n");
	}
}

static void
print_main(FILE *f, const struct vpndnsd_conf *conf)
{
	const struct listen_conf	*l;

	fprintf(f, "user ");
	print_quoted(f, conf->user);
	fprintf(f, "\nchroot ");
	print_quoted(f, conf->chroot);
	fprintf(f, "\npidfile ");
	print_quoted(f, conf->pidfile);
	fprintf(f, "\n");
	TAILQ_FOREACH(l, &conf->listens, entry)
		print_listen(f, "listen on", &l->addr);
	if (conf->metrics.sa.sa_family != 0)
		print_listen(f, "metrics listen on", &conf->metrics);
	print_acl(f, conf);
	print_xfr(f, conf);
	fprintf(f, "tcp idle-timeout %u\n", conf->main.tcp_idle);
	fprintf(f, "tcp message-timeout %u\n", conf->main.tcp_msgtimeout);
	fprintf(f, "tcp max-connections %u\n", conf->main.tcp_maxconn);
	fprintf(f, "tcp max-per-client %u\n", conf->main.tcp_perclient);
	fprintf(f, "tcp max-inflight %u\n", conf->main.tcp_inflight);
	fprintf(f, "upstream max-inflight %u\n", conf->main.upstream_inflight);
	if (conf->main.rrl_rate > 0)
		fprintf(f, "rate-limit %u slip %u prefix %u %u\n",
		    conf->main.rrl_rate, conf->main.rrl_slip,
		    conf->main.rrl_v4len, conf->main.rrl_v6len);
	if (conf->main.log_queries)
		fprintf(f, "log queries\n");
	if (conf->main.dnstap[0] != '\0') {
		fprintf(f, "dnstap ");
		print_quoted(f, conf->main.dnstap);
		fprintf(f, " { client %s forwarder %s }\n",
		    conf->main.dnstap_client ? "yes" : "no",
		    conf->main.dnstap_forwarder ? "yes" : "no");
	}
}

static void
print_domain(FILE *f, const struct domain_conf *d)
{
	fprintf(f, "\ndomain ");
	print_quoted(f, d->name);
	fprintf(f, " {\n\tttl %u\n\tnegative-ttl %u\n\tnameserver ", d->ttl,
	    d->negttl);
	print_quoted(f, d->nameserver);
	fprintf(f, "\n\thostmaster ");
	print_quoted(f, d->hostmaster);
	fprintf(f, "\n\tthreshold %u\n\toffline-names %s\n}\n",
	    d->threshold, d->offline_names ? "yes" : "no");
}

/*
 * The canonical rdata is presentation text; the domain name in it (the
 * last field of CNAME, PTR, MX and SRV) is quoted for the lexer.
 */
static void
print_record(FILE *f, const struct record_conf *r)
{
	const ldns_rr_descriptor	*desc = ldns_rr_descript(r->type);
	const char			*name = r->rdata;
	int				 skip = 0;

	fprintf(f, "record ");
	print_quoted(f, r->name);
	if (r->ttl >= 0)
		fprintf(f, " ttl %lld", (long long)r->ttl);
	fprintf(f, " %s ", desc->_name);
	switch (r->type) {
	case LDNS_RR_TYPE_SRV:
		skip = 3;
		break;
	case LDNS_RR_TYPE_MX:
		skip = 1;
		break;
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
		break;
	default:
		fprintf(f, "%s\n", r->rdata);
		return;
	}
	for (; skip > 0; skip--)
		name = strchr(name, ' ') + 1;
	fprintf(f, "%.*s", (int)(name - r->rdata), r->rdata);
	print_quoted(f, name);
	fprintf(f, "\n");
}

/* Peers named by a "names from" file are the file's to print. */
static void
print_source(FILE *f, const struct source_conf *w)
{
	static const char	*pathkw[SRC_KINDS] = {
		[SRC_WIREGUARD] = "socket",
		[SRC_IPSEC] = "vici",
		[SRC_OPENVPN] = "status",
	};
	const struct peer_conf	*p;

	fprintf(f, "\n%s ", src_kind_name(w->kind));
	print_quoted(f, w->name);
	fprintf(f, " {\n\tdomain ");
	print_quoted(f, w->domain);
	fprintf(f, "\n\t%s ", pathkw[w->kind]);
	print_quoted(f, w->path);
	fprintf(f, "\n");
	if (w->kind != SRC_IPSEC)
		fprintf(f, "\tinterval %u\n", w->interval);
	if (w->namesfile[0] != '\0') {
		fprintf(f, "\tnames from ");
		print_quoted(f, w->namesfile);
		fprintf(f, "\n");
	}
	TAILQ_FOREACH(p, &w->peers, entry) {
		if (p->from_file)
			continue;
		fprintf(f, "\tpeer ");
		print_quoted(f, p->display);
		fprintf(f, w->kind == SRC_WIREGUARD ? " key " : " id ");
		print_quoted(f, p->key);
		if (p->domain[0] != '\0') {
			fprintf(f, " domain ");
			print_quoted(f, p->domain);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "}\n");
}

static void
print_size(FILE *f, uint64_t n)
{
	if (n != 0 && n % (1024 * 1024 * 1024) == 0)
		fprintf(f, "%lluG", (unsigned long long)(n >> 30));
	else if (n != 0 && n % (1024 * 1024) == 0)
		fprintf(f, "%lluM", (unsigned long long)(n >> 20));
	else if (n != 0 && n % 1024 == 0)
		fprintf(f, "%lluK", (unsigned long long)(n >> 10));
	else
		fprintf(f, "%llu", (unsigned long long)n);
}

static void
print_forwarder(FILE *f, const struct forwarder_conf *fw)
{
	char		addr[INET6_ADDRSTRLEN];
	uint32_t	i;

	fprintf(f, "\nforwarder ");
	print_quoted(f, fw->name);
	fprintf(f, " {\n");
	for (i = 0; i < fw->nservers; i++) {
		const struct server_conf *sc = &fw->servers[i];
		const union sockunion *su = &sc->addr;

		inet_ntop(su->sa.sa_family, su->sa.sa_family == AF_INET ?
		    (const void *)&su->sin.sin_addr :
		    (const void *)&su->sin6.sin6_addr, addr, sizeof(addr));
		fprintf(f, "\tserver %s port %u", addr,
		    ntohs(su->sa.sa_family == AF_INET ? su->sin.sin_port :
		    su->sin6.sin6_port));
		if (sc->proxy)
			fprintf(f, " proxy-protocol");
		if (sc->ecs)
			fprintf(f, " client-subnet %u %u", sc->ecs_v4,
			    sc->ecs_v6);
		if (sc->tls) {
			fprintf(f, " tls ");
			print_quoted(f, sc->tls_name);
		}
		fprintf(f, "\n");
	}
	if (fw->tls_ca[0] != '\0') {
		fprintf(f, "\ttls-ca ");
		print_quoted(f, fw->tls_ca);
		fprintf(f, "\n");
	}
	fprintf(f, "\tpolicy %s\n\ttimeout %u\n\tcache-size ",
	    fw->policy == FWD_ROUNDROBIN ? "round-robin" : "failover",
	    fw->timeout_ms);
	print_size(f, fw->cache_size);
	fprintf(f, "\n\tcache-min-ttl %u\n\tcache-max-ttl %u\n"
	    "\tserve-stale %s\n}\n", fw->cache_min_ttl, fw->cache_max_ttl,
	    fw->serve_stale ? "yes" : "no");
}

static void
print_blocklist(FILE *f, const struct blocklist_conf *b)
{
	char	addr[INET6_ADDRSTRLEN];
	size_t	i;

	fprintf(f, "\nblocklist ");
	print_quoted(f, b->name);
	fprintf(f, " {\n");
	for (i = 0; i < b->nfiles; i++) {
		fprintf(f, "\tfile ");
		print_quoted(f, b->files[i]);
		fprintf(f, "\n");
	}
	for (i = 0; i < b->nallows; i++) {
		fprintf(f, "\tallow ");
		print_quoted(f, b->allows[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "\tanswer ");
	switch (b->answer) {
	case BL_ANSWER_NXDOMAIN:
		fprintf(f, "nxdomain");
		break;
	case BL_ANSWER_REFUSED:
		fprintf(f, "refused");
		break;
	case BL_ANSWER_NULL:
		fprintf(f, "null");
		break;
	case BL_ANSWER_ADDRESS:
		inet_ntop(b->addr.af, &b->addr.a, addr, sizeof(addr));
		fprintf(f, "%s", addr);
		break;
	}
	fprintf(f, "\n}\n");
}

static void
print_match(FILE *f, const struct match_conf *m)
{
	char	buf[INET6_ADDRSTRLEN + 8];
	size_t	i;

	fprintf(f, "match");
	if (m->nfrom > 0) {
		fprintf(f, " from {");
		for (i = 0; i < m->nfrom; i++) {
			prefix_print(&m->from[i], buf, sizeof(buf));
			fprintf(f, " %s", buf);
		}
		fprintf(f, " }");
	}
	if (m->nquery > 0) {
		fprintf(f, " query {");
		for (i = 0; i < m->nquery; i++) {
			fprintf(f, " ");
			print_quoted(f, m->query[i]);
		}
		fprintf(f, " }");
	}
	if (m->nblock > 0) {
		fprintf(f, " block");
		for (i = 0; i < m->nblock; i++) {
			fprintf(f, " ");
			print_quoted(f, m->block[i]);
		}
	}
	switch (m->action) {
	case MATCH_FORWARD:
		fprintf(f, " forward ");
		print_quoted(f, m->group);
		break;
	case MATCH_REFUSE:
		fprintf(f, " refuse");
		break;
	case MATCH_LOCALONLY:
		fprintf(f, " local-only");
		break;
	}
	fprintf(f, "\n");
}

void
print_config(FILE *f, const struct vpndnsd_conf *conf)
{
	const struct domain_conf	*d;
	const struct record_conf	*r;
	const struct source_conf	*w;
	const struct forwarder_conf	*fw;
	const struct blocklist_conf	*b;
	const struct match_conf		*m;

	print_main(f, conf);
	TAILQ_FOREACH(d, &conf->domains, entry)
		print_domain(f, d);
	print_updates(f, conf);
	if (!TAILQ_EMPTY(&conf->records))
		fprintf(f, "\n");
	TAILQ_FOREACH(r, &conf->records, entry)
		print_record(f, r);
	TAILQ_FOREACH(w, &conf->sources, entry)
		print_source(f, w);
	TAILQ_FOREACH(fw, &conf->forwarders, entry)
		print_forwarder(f, fw);
	TAILQ_FOREACH(b, &conf->blocklists, entry)
		print_blocklist(f, b);
	if (!TAILQ_EMPTY(&conf->matches))
		fprintf(f, "\n");
	TAILQ_FOREACH(m, &conf->matches, entry)
		print_match(f, m);
}
