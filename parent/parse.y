/*
 * vpndnsd.conf(5) grammar.  OpenBSD-style: macros, include, comments, and
 * errors as "file:line: what is wrong".
 */
%{
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "imsg.h"
#include "dname.h"
#include "log.h"
#include "vpndnsd.h"
#include "parent.h"
#include "slug.h"

#define MAX_INCLUDE_DEPTH	16
#define MAX_RDATA_ITEMS		64
#define MAX_MACROS		1024
#define LIST_MAX		65536

struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			 lineno;
	int			 newline;	/* count it at the next token */
	int			 eof;		/* its last newline was given */
	int			 errors;
};
TAILQ_HEAD(files, file);

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*val;
};

/* Per owner name: what it holds, to catch CNAME conflicts and duplicates. */
struct rrname {
	RB_ENTRY(rrname)	 entry;
	const char		*name;
	struct record_conf	**recs;
	size_t			 nrecs;
	char			*owned;		/* name of a presence entry */
	char			*peer;		/* "peer X on IF", or NULL */
	const char		*vpn;		/* "WireGuard" ... */
};

/* A "peer" line waiting for the end of its source's block. */
struct pendpeer {
	struct peer_conf	*peer;
	int			 line;
};
RB_HEAD(rrname_tree, rrname);

struct rdata_item {
	char	*text;
	int	 isnum;
	int64_t	 num;
};

static struct files		 files = TAILQ_HEAD_INITIALIZER(files);
static struct file		*file, *topfile;
static TAILQ_HEAD(, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
static size_t			 nsyms;
static struct vpndnsd_conf	*conf;
static struct rrname_tree	 rrnames;
static struct domain_conf	*curdomain;
static struct source_conf	*cursrc;
static struct forwarder_conf	*curfwd;
static struct blocklist_conf	*curbl;
static struct match_conf	 currule;
static struct prefix		*plist;		/* the list being read */
static size_t			 nplist;
static char			**nlist;
static size_t			 nnlist;
static struct pendpeer		*pendpeers;
static size_t			 npendpeers;
static struct rdata_item	 rdata[MAX_RDATA_ITEMS];
static int			 nrdata;
static int			 rdata_overflow;
static char			 lasterror[512];
/* for errors a human can act on: the tokens before, the open braces */
#define BRACES_MAX		8
static int			 brace_line[BRACES_MAX];
static int			 nbraces;
static char			 tok_text[2][64];	/* the last two read */
static char			 kw_text[64];	/* the keyword just read */
static int			 tok_inline;	/* tokens read on this line */
#define TSIG_KEYS_MAX		8
static struct tsig_conf		 tsigkeys[TSIG_KEYS_MAX];
static size_t			 ntsigkeys;

int		 yyparse(void);
static int	 yylex(void);
static int	 yylex_token(void);
static int	 yyerror(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static int	 kw_cmp(const void *, const void *);
static int	 set_metrics(const char *, int64_t);
static int	 tcp_number(const char *, long long, long long, const char *,
		    uint32_t *);
static int	 lookup(char *);
static int	 lgetc(int);
static int	 lungetc(int);
static int	 findeol(void);
static struct file *pushfile(const char *, int);
static int	 popfile(void);
static int	 symset(const char *, const char *);
static char	*symget(const char *);
static void	 symclear(void);
static int	 rrname_cmp(struct rrname *, struct rrname *);
static void	 rrnames_clear(void);
static void	 rdata_clear(void);
static int	 rdata_add(char *, int, int64_t);
static int	 dname_canon(const char *, char *, size_t);
static struct domain_conf *domain_find(const char *);
static int	 add_listen(const char *, int64_t);
static int	 add_prefixes(enum plist, const char *);
static int	 add_tsig_key(const char *, const char *, const char *);
static int	 set_transfer_key(const char *);
static const struct tsig_conf *find_key(const char *);
static int	 add_update(const char *, int64_t, const char *,
		    const char *);
static int	 add_notify(const char *, int64_t);
static int	 listen_addr(const char *, const char *, int64_t,
		    union sockunion *);
static int	 plist_add(const char *);
static int	 nlist_add(const char *);
static void	 nlist_clear(void);
static int	 add_forwarder(const char *);
static int	 add_server(const char *, int64_t);
static int	 finish_server(void);
static int	 server_tls(const char *);
static int	 forwarder_tls_ca(const char *);
static void	 finish_forwarder(void);
static int	 set_dnstap(const char *);
static int	 parse_size(const char *, int64_t *);
static int	 add_blocklist(const char *);
static int	 blocklist_file(const char *);
static int	 blocklist_allow(const char *);
static int	 blocklist_address(const char *);
static int	 rule_block(const char *);
static void	 rule_clear(void);
static void	 rule_start(void);
static void	 rule_set_from(void);
static void	 rule_set_query(void);
static int	 rule_forward(const char *);
static int	 add_match(void);
static int	 add_domain(const char *);
static int	 names_below(const char *);
static int	 dname_is_below(const char *, const char *);
static void	 finish_domain(void);
static int	 add_record(const char *, int64_t, const char *);
static int	 include_path(const char *, char *, size_t);
static int	 add_source(enum src_kind, const char *);
static int	 add_peer(const char *, const char *, const char *);
static int	 set_path(char *);
static void	 finish_source(void);
static void	 pendpeers_clear(void);

RB_GENERATE_STATIC_UNUSED(rrname_tree, rrname, entry, rrname_cmp)

typedef struct {
	union {
		int64_t	 number;
		char	*string;
	} v;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

%}

%define parse.error custom
%define parse.lac full
%token	INCLUDE USER CHROOT PIDFILE LISTEN ON PORT ALLOW FROM TCP
%token	IDLETIMEOUT MESSAGETIMEOUT MAXCONNECTIONS MAXINFLIGHT MAXPERCLIENT
%token	RATELIMIT SLIP PREFIX METRICS UPSTREAM
%token	DOMAIN TTL NEGATIVETTL
%token	NAMESERVER HOSTMASTER RECORD THRESHOLD OFFLINENAMES YES NO
%token	WIREGUARD PEER KEY NAMES SOCKET INTERVAL FORWARDER SERVER POLICY
%token	FAILOVER ROUNDROBIN TIMEOUT CACHESIZE CACHEMINTTL CACHEMAXTTL
%token	SERVESTALE MATCH QUERY FORWARD REFUSE LOCALONLY BLOCKLIST FILENAME
%token	ANSWER NXDOMAIN REFUSED NULLANSWER BLOCK PROXYPROTOCOL CLIENTSUBNET
%token	LOG QUERIES ERROR IPSEC VICI OPENVPN STATUS ID
%token	TSIGKEY ALGORITHM SECRET TRANSFER TO NOTIFY UPDATE ZONE
%token	TLS TLSCA DNSTAP CLIENT
/* "peer X key K domain D": a domain right after a key is the peer's */
%nonassoc	PEERDOMAIN_NONE
%nonassoc	DOMAIN
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.string>	string peerdomain optkey
%type	<v.number>	port portnum metricsport optttl yesno size srvport
%destructor { free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar domain '\n'
		| grammar record '\n'
		| grammar wireguard '\n'
		| grammar ipsec '\n'
		| grammar openvpn '\n'
		| grammar forwarder '\n'
		| grammar blocklist '\n'
		| grammar match '\n'
		| grammar error '\n'		{ file->errors++; }
		;

include		: INCLUDE STRING		{
			struct file	*nfile;

			nfile = pushfile($2, 0);
			free($2);
			if (nfile == NULL)
				YYERROR;
			file = nfile;
			/*
			 * End the include line with a newline the new file
			 * counts: it starts at line 0 and this takes it to 1.
			 */
			file->lineno = 0;
			lungetc('\n');
		}
		;

string		: string STRING			{
			if (asprintf(&$$, "%s %s", $1, $2) == -1)
				fatal("asprintf");
			free($1);
			free($2);
		}
		| STRING
		;

varset		: STRING '=' string		{
			char *s;

			for (s = $1; *s != '\0'; s++)
				if (!isalnum((unsigned char)*s) && *s != '_') {
					yyerror("macro name \"%s\" may only "
					    "hold letters, digits and '_'", $1);
					free($1);
					free($3);
					YYERROR;
				}
			if (symset($1, $3) == -1) {
				free($1);
				free($3);
				YYERROR;
			}
			free($1);
			free($3);
		}
		;

optnl		: /* empty */
		| optnl '\n'
		;

optcomma	: /* empty */
		| ','
		;

main		: USER STRING			{
			if ($2[0] == '\0' ||
			    strlcpy(conf->user, $2, sizeof(conf->user)) >=
			    sizeof(conf->user)) {
				yyerror("user name \"%s\" is empty or too "
				    "long", $2);
				free($2);
				YYERROR;
			}
			free($2);
		}
		| CHROOT STRING			{
			if ($2[0] != '/' ||
			    strlcpy(conf->chroot, $2, sizeof(conf->chroot)) >=
			    sizeof(conf->chroot)) {
				yyerror("chroot \"%s\" must be an absolute "
				    "path", $2);
				free($2);
				YYERROR;
			}
			free($2);
		}
		| PIDFILE STRING		{
			if ($2[0] != '/' ||
			    strlcpy(conf->pidfile, $2, sizeof(conf->pidfile))
			    >= sizeof(conf->pidfile)) {
				yyerror("pidfile \"%s\" must be an absolute "
				    "path", $2);
				free($2);
				YYERROR;
			}
			free($2);
		}
		| LISTEN ON STRING port		{
			int rc = add_listen($3, $4);

			free($3);
			if (rc == -1)
				YYERROR;
		}
		| METRICS LISTEN ON STRING metricsport	{
			int rc = set_metrics($4, $5);

			free($4);
			if (rc == -1)
				YYERROR;
		}
		| ALLOW FROM prefixes		{
			if (add_prefixes(PLIST_ALLOW, "allow from") == -1)
				YYERROR;
			conf->acl_set = 1;
		}
		| DNSTAP STRING			{
			int rc = set_dnstap($2);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} dnstapblock
		| PROXYPROTOCOL FROM prefixes	{
			if (add_prefixes(PLIST_PROXY, "proxy-protocol from") ==
			    -1)
				YYERROR;
		}
		| CLIENTSUBNET FROM prefixes	{
			if (add_prefixes(PLIST_ECS, "client-subnet from") == -1)
				YYERROR;
		}
		| TSIGKEY STRING ALGORITHM STRING SECRET STRING {
			int rc = add_tsig_key($2, $4, $6);

			free($2);
			free($4);
			free($6);
			if (rc == -1)
				YYERROR;
		}
		| TRANSFER TO prefixes		{
			if (add_prefixes(PLIST_TRANSFER, "transfer to") == -1)
				YYERROR;
			conf->xfr.transfers = 1;
		} xfrkey
		| NOTIFY STRING port		{
			int rc = add_notify($2, $3);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| UPDATE TO STRING port ZONE STRING optkey {
			int rc = add_update($3, $4, $6, $7);

			free($3);
			free($6);
			free($7);
			if (rc == -1)
				YYERROR;
		}
		| TCP IDLETIMEOUT NUMBER	{
			if (tcp_number("idle-timeout", $3, 3600, " seconds",
			    &conf->main.tcp_idle) == -1)
				YYERROR;
		}
		| TCP MESSAGETIMEOUT NUMBER	{
			if (tcp_number("message-timeout", $3, 3600,
			    " seconds", &conf->main.tcp_msgtimeout) == -1)
				YYERROR;
		}
		| TCP MAXCONNECTIONS NUMBER	{
			if (tcp_number("max-connections", $3, 65536, "",
			    &conf->main.tcp_maxconn) == -1)
				YYERROR;
		}
		| TCP MAXPERCLIENT NUMBER	{
			if (tcp_number("max-per-client", $3, 65536, "",
			    &conf->main.tcp_perclient) == -1)
				YYERROR;
		}
		| TCP MAXINFLIGHT NUMBER	{
			if (tcp_number("max-inflight", $3, 1024, "",
			    &conf->main.tcp_inflight) == -1)
				YYERROR;
		}
		| LOG QUERIES			{ conf->main.log_queries = 1; }
		| UPSTREAM MAXINFLIGHT NUMBER	{
			if ($3 < 2 || $3 > UPSTREAM_INFLIGHT) {
				yyerror("upstream max-inflight %lld is out of "
				    "range 2 to %d", (long long)$3,
				    UPSTREAM_INFLIGHT);
				YYERROR;
			}
			conf->main.upstream_inflight = $3;
		}
		| RATELIMIT NUMBER		{
			if ($2 < 1 || $2 > 1000000) {
				yyerror("rate-limit %lld is out of range 1 to "
				    "1000000 answers a second", (long long)$2);
				YYERROR;
			}
			conf->main.rrl_rate = $2;
		} rlopts
		;

optkey		: /* empty */			{ $$ = NULL; }
		| TSIGKEY STRING		{ $$ = $2; }
		;

xfrkey		: /* empty */
		| TSIGKEY STRING		{
			int rc = set_transfer_key($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		;

metricsport	: /* empty */			{ $$ = METRICS_PORT; }
		| portnum
		;

/* 0: the transport's (53, or 853 with tls) */
srvport		: /* empty */			{ $$ = 0; }
		| portnum
		;

port		: /* empty */			{ $$ = DNS_PORT; }
		| portnum
		;

portnum		: PORT NUMBER			{
			if ($2 < 1 || $2 > 65535) {
				yyerror("port %lld is out of range 1 to 65535",
				    (long long)$2);
				YYERROR;
			}
			$$ = $2;
		}
		;

prefixes	: { nplist = 0; } prefixset	{
			/* "match from { }" must not mean every client */
			if (nplist == 0) {
				yyerror("an empty list of addresses");
				YYERROR;
			}
		}
		;

prefixset	: prefixitem
		| '{' optnl prefixitems '}'
		;

prefixitems	: /* empty */
		| prefixitems prefixitem optcomma optnl
		;

prefixitem	: STRING			{
			int rc = plist_add($1);

			free($1);
			if (rc == -1)
				YYERROR;
		}
		;

names		: { nlist_clear(); } nameset	{
			if (nnlist == 0) {
				yyerror("an empty list of names");
				YYERROR;
			}
		}
		;

nameset		: nameitem
		| '{' optnl nameitems '}'
		;

nameitems	: /* empty */
		| nameitems nameitem optcomma optnl
		;

nameitem	: STRING			{
			int rc = nlist_add($1);

			free($1);
			if (rc == -1)
				YYERROR;
		}
		;

forwarder	: FORWARDER STRING		{
			int rc = add_forwarder($2);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} '{' optnl fwdopts '}'		{
			finish_forwarder();
		}
		;

fwdopts		: /* empty */
		| fwdopts fwdopt optnl
		;

fwdopt		: SERVER STRING srvport		{
			int rc = add_server($2, $3);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} srvopts			{
			if (finish_server() == -1)
				YYERROR;
		}
		| TLSCA STRING			{
			int rc = forwarder_tls_ca($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| POLICY FAILOVER		{ curfwd->policy = FWD_FAILOVER; }
		| POLICY ROUNDROBIN		{ curfwd->policy = FWD_ROUNDROBIN; }
		| TIMEOUT NUMBER		{
			if ($2 < 50 || $2 > 60000) {
				yyerror("timeout %lld is out of range 50 to "
				    "60000 ms", (long long)$2);
				YYERROR;
			}
			curfwd->timeout_ms = $2;
		}
		| CACHESIZE size		{ curfwd->cache_size = $2; }
		| CACHEMINTTL NUMBER		{
			if ($2 < 0 || $2 > 86400) {
				yyerror("cache-min-ttl %lld is out of range 0 "
				    "to 86400", (long long)$2);
				YYERROR;
			}
			curfwd->cache_min_ttl = $2;
		}
		| CACHEMAXTTL NUMBER		{
			if ($2 < 0 || $2 > 604800) {
				yyerror("cache-max-ttl %lld is out of range 0 "
				    "to 604800", (long long)$2);
				YYERROR;
			}
			curfwd->cache_max_ttl = $2;
		}
		| SERVESTALE yesno		{ curfwd->serve_stale = $2; }
		;

srvopts		: /* empty */
		| srvopts srvopt
		;

dnstapblock	: /* empty */
		| '{' optnl dnstapopts '}'
		;

dnstapopts	: /* empty */
		| dnstapopts dnstapopt optnl
		;

dnstapopt	: CLIENT yesno			{ conf->main.dnstap_client = $2; }
		| FORWARDER yesno		{
			conf->main.dnstap_forwarder = $2;
		}
		;

rlopts		: /* empty */
		| rlopts SLIP NUMBER		{
			if ($3 < 0 || $3 > 100) {
				yyerror("slip %lld is out of range 0 to 100",
				    (long long)$3);
				YYERROR;
			}
			conf->main.rrl_slip = $3;
		}
		| rlopts PREFIX NUMBER NUMBER	{
			if ($3 < 1 || $3 > 32 || $4 < 1 || $4 > 128) {
				yyerror("prefix %lld %lld: the lengths are 1 "
				    "to 32 and 1 to 128", (long long)$3,
				    (long long)$4);
				YYERROR;
			}
			conf->main.rrl_v4len = $3;
			conf->main.rrl_v6len = $4;
		}
		;

srvopt		: PROXYPROTOCOL			{
			curfwd->servers[curfwd->nservers - 1].proxy = 1;
		}
		| TLS STRING			{
			int rc = server_tls($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| CLIENTSUBNET NUMBER NUMBER	{
			struct server_conf *sc =
			    &curfwd->servers[curfwd->nservers - 1];

			if ($2 < 0 || $2 > 32 || $3 < 0 || $3 > 128) {
				yyerror("client-subnet %lld %lld: the lengths "
				    "are 0 to 32 and 0 to 128", (long long)$2,
				    (long long)$3);
				YYERROR;
			}
			sc->ecs = 1;
			sc->ecs_v4 = $2;
			sc->ecs_v6 = $3;
		}
		;

size		: NUMBER			{
			if ($1 < 0) {
				yyerror("a size cannot be negative");
				YYERROR;
			}
			$$ = $1;
		}
		| STRING			{
			int rc = parse_size($1, &$$);

			free($1);
			if (rc == -1)
				YYERROR;
		}
		;

match		: MATCH { rule_start(); } matchfrom matchquery matchblock
		    matchaction			{
			if (add_match() == -1)
				YYERROR;
		}
		;

matchblock	: /* empty */
		| BLOCK blocknames
		;

blocknames	: blockname
		| blocknames blockname
		;

blockname	: STRING			{
			int rc = rule_block($1);

			free($1);
			if (rc == -1)
				YYERROR;
		}
		;

blocklist	: BLOCKLIST STRING		{
			int rc = add_blocklist($2);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} '{' optnl blopts '}'		{
			if (curbl->nfiles == 0) {
				yyerror("blocklist \"%s\": no file",
				    curbl->name);
				curbl = NULL;
				YYERROR;
			}
			curbl = NULL;
		}
		;

blopts		: /* empty */
		| blopts blopt optnl
		;

blopt		: FILENAME STRING		{
			int rc = blocklist_file($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| ALLOW STRING			{
			int rc = blocklist_allow($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| ANSWER NXDOMAIN		{ curbl->answer = BL_ANSWER_NXDOMAIN; }
		| ANSWER REFUSED		{ curbl->answer = BL_ANSWER_REFUSED; }
		| ANSWER NULLANSWER		{ curbl->answer = BL_ANSWER_NULL; }
		| ANSWER STRING			{
			int rc = blocklist_address($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		;

matchfrom	: /* empty */
		| FROM prefixes			{ rule_set_from(); }
		;

matchquery	: /* empty */
		| QUERY names			{ rule_set_query(); }
		;

matchaction	: FORWARD STRING		{
			int rc = rule_forward($2);

			free($2);
			if (rc == -1)
				YYERROR;
		}
		| REFUSE			{ currule.action = MATCH_REFUSE; }
		| LOCALONLY			{ currule.action = MATCH_LOCALONLY; }
		;

domain		: DOMAIN STRING			{
			int rc = add_domain($2);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} domainblock			{
			finish_domain();
		}
		;

domainblock	: /* empty */
		| '{' optnl domainopts '}'
		;

domainopts	: /* empty */
		| domainopts domainopt optnl
		;

domainopt	: TTL NUMBER			{
			if ($2 < 0 || $2 > INT32_MAX) {
				yyerror("ttl %lld is out of range 0 to %d",
				    (long long)$2, INT32_MAX);
				YYERROR;
			}
			curdomain->ttl = $2;
		}
		| NEGATIVETTL NUMBER		{
			if ($2 < 0 || $2 > INT32_MAX) {
				yyerror("negative-ttl %lld is out of range 0 "
				    "to %d", (long long)$2, INT32_MAX);
				YYERROR;
			}
			curdomain->negttl = $2;
		}
		| NAMESERVER STRING		{
			if (dname_canon($2, curdomain->nameserver,
			    sizeof(curdomain->nameserver)) == -1) {
				free($2);
				YYERROR;
			}
			free($2);
		}
		| HOSTMASTER STRING		{
			if (dname_canon($2, curdomain->hostmaster,
			    sizeof(curdomain->hostmaster)) == -1) {
				free($2);
				YYERROR;
			}
			free($2);
		}
		| THRESHOLD NUMBER		{
			if ($2 < 1 || $2 > 31536000) {
				yyerror("threshold %lld is out of range 1 to "
				    "31536000 seconds", (long long)$2);
				YYERROR;
			}
			curdomain->threshold = $2;
		}
		| OFFLINENAMES yesno		{
			curdomain->offline_names = $2;
		}
		;

yesno		: YES				{ $$ = 1; }
		| NO				{ $$ = 0; }
		;

wireguard	: WIREGUARD STRING		{
			int rc = add_source(SRC_WIREGUARD, $2);

			free($2);
			$2 = NULL;	/* error recovery may still pop it */
			if (rc == -1)
				YYERROR;
		} wgblock			{
			finish_source();
		}
		;

wgblock		: /* empty */
		| '{' optnl wgopts '}'
		;

wgopts		: /* empty */
		| wgopts wgopt optnl
		;

wgopt		: PEER STRING KEY STRING peerdomain {
			int rc = add_peer($2, $4, $5);

			free($2);
			free($4);
			free($5);
			if (rc == -1)
				YYERROR;
		}
		| NAMES FROM STRING		{
			char path[PATH_MAX];

			/* absolute, so that a printed config reads the same */
			if (cursrc->namesfile[0] != '\0' ||
			    include_path($3, path, sizeof(path)) == -1 ||
			    (realpath(path, cursrc->namesfile) == NULL &&
			    strlcpy(cursrc->namesfile, path,
			    sizeof(cursrc->namesfile)) >=
			    sizeof(cursrc->namesfile))) {
				yyerror("wireguard \"%s\": one \"names "
				    "from\" file at most, with a shorter path",
				    cursrc->name);
				free($3);
				YYERROR;
			}
			free($3);
		}
		| SOCKET STRING			{
			if (set_path($2) == -1)
				YYERROR;
		}
		| srcdomain
		| srcinterval
		;

ipsec		: IPSEC STRING			{
			int rc = add_source(SRC_IPSEC, $2);

			free($2);
			$2 = NULL;
			if (rc == -1)
				YYERROR;
		} ipsecblock			{
			finish_source();
		}
		;

ipsecblock	: /* empty */
		| '{' optnl ipsecopts '}'
		;

ipsecopts	: /* empty */
		| ipsecopts ipsecopt optnl
		;

ipsecopt	: VICI STRING			{
			if (set_path($2) == -1)
				YYERROR;
		}
		| peerid
		| srcdomain
		;

openvpn		: OPENVPN STRING		{
			int rc = add_source(SRC_OPENVPN, $2);

			free($2);
			$2 = NULL;
			if (rc == -1)
				YYERROR;
		} ovpnblock			{
			finish_source();
		}
		;

ovpnblock	: /* empty */
		| '{' optnl ovpnopts '}'
		;

ovpnopts	: /* empty */
		| ovpnopts ovpnopt optnl
		;

ovpnopt		: STATUS STRING			{
			if (set_path($2) == -1)
				YYERROR;
		}
		| peerid
		| srcdomain
		| srcinterval
		;

peerid		: PEER STRING ID STRING peerdomain {
			int rc = add_peer($2, $4, $5);

			free($2);
			free($4);
			free($5);
			if (rc == -1)
				YYERROR;
		}
		;

srcdomain	: DOMAIN STRING			{
			int rc = dname_canon($2, cursrc->domain,
			    sizeof(cursrc->domain));

			free($2);
			if (rc == -1)
				YYERROR;
		}
		;

srcinterval	: INTERVAL NUMBER		{
			if ($2 < 1 || $2 > 3600) {
				yyerror("interval %lld is out of range 1 to "
				    "3600 seconds", (long long)$2);
				YYERROR;
			}
			cursrc->interval = $2;
		}
		;

peerdomain	: /* empty */ %prec PEERDOMAIN_NONE	{ $$ = NULL; }
		| DOMAIN STRING			{ $$ = $2; }
		;

record		: RECORD STRING optttl STRING { rdata_clear(); } rdatalist {
			int rc = add_record($2, $3, $4);

			free($2);
			free($4);
			rdata_clear();
			if (rc == -1)
				YYERROR;
		}
		;

optttl		: /* empty */			{ $$ = -1; }
		| TTL NUMBER			{
			if ($2 < 0 || $2 > INT32_MAX) {
				yyerror("ttl %lld is out of range 0 to %d",
				    (long long)$2, INT32_MAX);
				YYERROR;
			}
			$$ = $2;
		}
		;

rdatalist	: /* empty */
		| rdatalist STRING		{
			if (rdata_add($2, 0, 0) == -1)
				YYERROR;
		}
		| rdatalist NUMBER		{
			char *s;

			if (asprintf(&s, "%lld", (long long)$2) == -1)
				fatal("asprintf");
			if (rdata_add(s, 1, $2) == -1)
				YYERROR;
		}
		;

%%

struct keywords {
	const char	*k_name;
	int		 k_val;
};

/* sorted, for bsearch */
static const struct keywords keywords[] = {
	{ "algorithm",		ALGORITHM },
	{ "allow",		ALLOW },
	{ "answer",		ANSWER },
	{ "block",		BLOCK },
	{ "blocklist",		BLOCKLIST },
	{ "cache-max-ttl",	CACHEMAXTTL },
	{ "cache-min-ttl",	CACHEMINTTL },
	{ "cache-size",		CACHESIZE },
	{ "chroot",		CHROOT },
	{ "client",		CLIENT },
	{ "client-subnet",	CLIENTSUBNET },
	{ "dnstap",		DNSTAP },
	{ "domain",		DOMAIN },
	{ "failover",		FAILOVER },
	{ "file",		FILENAME },
	{ "forward",		FORWARD },
	{ "forwarder",		FORWARDER },
	{ "from",		FROM },
	{ "hostmaster",		HOSTMASTER },
	{ "id",			ID },
	{ "idle-timeout",	IDLETIMEOUT },
	{ "include",		INCLUDE },
	{ "interval",		INTERVAL },
	{ "ipsec",		IPSEC },
	{ "key",		KEY },
	{ "listen",		LISTEN },
	{ "local-only",		LOCALONLY },
	{ "log",		LOG },
	{ "match",		MATCH },
	{ "max-connections",	MAXCONNECTIONS },
	{ "max-inflight",	MAXINFLIGHT },
	{ "max-per-client",	MAXPERCLIENT },
	{ "message-timeout",	MESSAGETIMEOUT },
	{ "metrics",		METRICS },
	{ "names",		NAMES },
	{ "nameserver",		NAMESERVER },
	{ "negative-ttl",	NEGATIVETTL },
	{ "no",			NO },
	{ "notify",		NOTIFY },
	{ "null",		NULLANSWER },
	{ "nxdomain",		NXDOMAIN },
	{ "offline-names",	OFFLINENAMES },
	{ "on",			ON },
	{ "openvpn",		OPENVPN },
	{ "peer",		PEER },
	{ "pidfile",		PIDFILE },
	{ "policy",		POLICY },
	{ "port",		PORT },
	{ "prefix",		PREFIX },
	{ "proxy-protocol",	PROXYPROTOCOL },
	{ "queries",		QUERIES },
	{ "query",		QUERY },
	{ "rate-limit",		RATELIMIT },
	{ "record",		RECORD },
	{ "refuse",		REFUSE },
	{ "refused",		REFUSED },
	{ "round-robin",	ROUNDROBIN },
	{ "secret",		SECRET },
	{ "serve-stale",	SERVESTALE },
	{ "server",		SERVER },
	{ "slip",		SLIP },
	{ "socket",		SOCKET },
	{ "status",		STATUS },
	{ "tcp",		TCP },
	{ "threshold",		THRESHOLD },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "tls-ca",		TLSCA },
	{ "to",			TO },
	{ "transfer",		TRANSFER },
	{ "tsig-key",		TSIGKEY },
	{ "ttl",		TTL },
	{ "update",		UPDATE },
	{ "upstream",		UPSTREAM },
	{ "user",		USER },
	{ "vici",		VICI },
	{ "wireguard",		WIREGUARD },
	{ "yes",		YES },
	{ "zone",		ZONE },
};

/* An error at a place of its own: a names file, or an earlier line. */
static void
error_at(const char *where, int line, const char *msg)
{
	file->errors++;
	log_warnx("%s:%d: %s", where, line, msg);
	if (lasterror[0] == '\0')
		snprintf(lasterror, sizeof(lasterror), "%s:%d: %s", where,
		    line, msg);
}

static void
errorf_at(const char *where, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[sizeof(lasterror) - 64];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_at(where, line, msg);
}

static int
yyerror(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[sizeof(lasterror) - 64];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_at(file->name, file->lineno, msg);
	return 0;
}

/* A token as a person reads it in a message: 'on', a quoted string ... */
static void
token_words(yysymbol_kind_t k, char *out, size_t len)
{
	size_t	i;

	if (k == YYSYMBOL_YYEOF)
		strlcpy(out, "the end of the file", len);
	else if (k == YYSYMBOL_STRING)
		strlcpy(out, "a quoted string", len);
	else if (k == YYSYMBOL_NUMBER)
		strlcpy(out, "a number", len);
	else if (k == YYTRANSLATE('\n'))
		strlcpy(out, "the end of the line", len);
	else {
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (YYTRANSLATE(keywords[i].k_val) == k) {
				snprintf(out, len, "'%s'", keywords[i].k_name);
				return;
			}
		strlcpy(out, yysymbol_name(k), len);
	}
}

/* What kind of string the keyword before it takes. */
static const char *
string_kind(const char *kw)
{
	static const struct {
		const char	*kw;
		const char	*what;
	} kinds[] = {
		{ "record", "name" }, { "domain", "name" },
		{ "nameserver", "name" }, { "hostmaster", "name" },
		{ "peer", "name" }, { "wireguard", "interface name" },
		{ "ipsec", "name" }, { "openvpn", "name" }, { "id", "identity" },
		{ "vici", "path" }, { "status", "path" },
		{ "forwarder", "name" }, { "blocklist", "name" },
		{ "block", "blocklist name" }, { "forward", "forwarder name" },
		{ "zone", "name" }, { "tsig-key", "key name" },
		{ "key", "key" }, { "secret", "secret" },
		{ "include", "path" }, { "chroot", "path" },
		{ "pidfile", "path" }, { "file", "path" }, { "socket", "path" },
		{ "on", "address" }, { "server", "address" },
		{ "tls", "name" }, { "tls-ca", "path" }, { "dnstap", "path" },
		{ "notify", "address" }, { "to", "address" },
		{ "user", "user name" },
	};
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kw, kw) == 0)
			return kinds[i].what;
	return "string";
}

/*
 * Bison's "syntax error, unexpected STRING, expecting ON" as a person
 * can act on it: an unknown keyword by name, what a keyword wants after
 * it, a '{' never closed at the line it opened on.
 */
static int
yyreport_syntax_error(const yypcontext_t *ctx)
{
	yysymbol_kind_t	 exp[YYNTOKENS], tok = yypcontext_token(ctx);
	char		 words[256], one[64], hint[64] = "";
	const char	*after = tok_text[0];
	int		 n, i, str = 0, num = 0, kw = 0, after_keyword;

	after_keyword = after[0] != '\0' && after[0] != '"' &&
	    after[0] != '-' && !isdigit((unsigned char)after[0]) &&
	    strchr("{},=", after[0]) == NULL;

	n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
	for (i = 0; i < n; i++) {
		if (exp[i] == YYSYMBOL_STRING)
			str = 1;
		else if (exp[i] == YYSYMBOL_NUMBER)
			num = 1;
		else if (exp[i] > YYSYMBOL_YYUNDEF && exp[i] < YYSYMBOL_STRING)
			kw = 1;
	}
	if (tok == YYSYMBOL_YYEOF && nbraces > 0) {
		errorf_at(file->name, brace_line[nbraces - 1], "this '{' is "
		    "not closed by the end of the file");
		return 0;
	}
	/* a word where a keyword must start a statement or an option */
	if (tok == YYSYMBOL_STRING && !str && kw && !after_keyword) {
		yyerror("unknown keyword '%s'", yylval.v.string);
		return 0;
	}
	/* a word that starts a line is a keyword or a macro: "foo = ..." */
	if (tok_inline == 2 && n == 1 && exp[0] == YYTRANSLATE('=')) {
		snprintf(one, sizeof(one), "%.*s", (int)strlen(after) - 2,
		    after + 1);
		yyerror("unknown keyword '%s'", one);
		return 0;
	}
	if ((str || num) && after_keyword) {
		if (str)
			yyerror("expected a quoted %s after '%s'%s",
			    string_kind(after), after, tok > YYSYMBOL_YYUNDEF &&
			    tok < YYSYMBOL_STRING ? " (quote a keyword to use it "
			    "as one)" : "");
		else
			yyerror("expected a number after '%s'", after);
		return 0;
	}
	words[0] = '\0';
	for (i = 0; i < n && i < 6; i++) {
		token_words(exp[i], one, sizeof(one));
		strlcat(words, i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    sizeof(words));
		strlcat(words, one, sizeof(words));
	}
	if (n > 6)
		strlcat(words, ", ...", sizeof(words));
	token_words(tok, one, sizeof(one));
	if (tok == YYSYMBOL_STRING)
		snprintf(one, sizeof(one), "'%s'", yylval.v.string);
	if (nbraces > 0 && tok > YYSYMBOL_YYUNDEF && tok < YYSYMBOL_STRING)
		snprintf(hint, sizeof(hint), " (inside the '{' of line %d: is "
		    "it closed?)", brace_line[nbraces - 1]);
	if (tok == YYTRANSLATE('\n') && n > 0)
		yyerror("the line ends too soon%s%s%s; expected %s%s",
		    after[0] ? " after '" : "", after, after[0] ? "'" : "",
		    words, hint);
	else if (n == 0)
		yyerror("unexpected %s%s", one, hint);
	else if (after[0] != '\0')
		yyerror("unexpected %s after '%s'; expected %s%s", one, after,
		    words, hint);
	else
		yyerror("unexpected %s; expected %s%s", one, words, hint);
	return 0;
}

const char *
parse_lasterror(void)
{
	return lasterror;
}

/* A "tcp" option's number: 1 to 'max', in 'unit'. */
static int
tcp_number(const char *opt, long long v, long long max, const char *unit,
    uint32_t *dst)
{
	if (v < 1 || v > max) {
		yyerror("tcp %s %lld is out of range 1 to %lld%s", opt, v,
		    max, unit);
		return -1;
	}
	*dst = v;
	return 0;
}


static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keywords *)e)->k_name);
}

static int
lookup(char *s)
{
	const struct keywords	*p;

	p = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return p != NULL ? p->k_val : STRING;
}

/*
 * A macro's value is pushed back between these two markers, so the lexer
 * knows not to expand '$' inside it (no recursion).
 */
#define START_EXPAND	256	/* not a byte a file can hold */
#define DONE_EXPAND	257

static int		 expanding;
static int		 pushback_buffer[RDATA_TEXT_MAX];
static int		 pushback_index;

static int
lgetc(int quotec)
{
	int	c, next;

	if (pushback_index)
		return pushback_buffer[--pushback_index];

	if (quotec) {
		if ((c = getc(file->stream)) == EOF) {
			yyerror("reached end of file while parsing a "
			    "quoted string");
			if (file == topfile || popfile() == EOF)
				return EOF;
			return quotec;
		}
		return c;
	}

	while ((c = getc(file->stream)) == '\\') {
		next = getc(file->stream);
		if (next != '\n') {
			c = next;
			break;
		}
		file->lineno++;
	}
	if (c == '\t' || c == ' ') {
		/* fold white space */
		do {
			c = getc(file->stream);
		} while (c == '\t' || c == ' ');
		ungetc(c, file->stream);
		c = ' ';
	}
	if (c == EOF) {
		/* the last line of the file needs no newline */
		if (file == topfile) {
			if (file->eof)
				return EOF;
			file->eof = 1;
			return '\n';
		}
		/* an included file ends like a line ... */
		if (popfile() == EOF)
			return EOF;
		/* ... that the including file must not count twice */
		file->lineno--;
		c = '\n';
	}
	return c;
}

static int
lungetc(int c)
{
	if (c == EOF)
		return EOF;
	if (pushback_index + 1 >= RDATA_TEXT_MAX)
		return EOF;
	pushback_buffer[pushback_index++] = c;
	return c;
}

static int
findeol(void)
{
	int	c;

	/* skip to either EOF or the first real EOL */
	for (;;) {
		if (pushback_index)
			c = pushback_buffer[--pushback_index];
		else
			c = lgetc(0);
		if (c == START_EXPAND || c == DONE_EXPAND)
			expanding = c == START_EXPAND;
		if (c == '\n') {
			/* the grammar ends the bad line on this */
			lungetc(c);
			break;
		}
		if (c == EOF)
			break;
	}
	return ERROR;
}

/*
 * The lexer, noting what each token was (for "after 'record'") and where
 * each brace opened (for one that is never closed).
 */
static int
yylex(void)
{
	int	token = yylex_token();

	memcpy(tok_text[0], tok_text[1], sizeof(tok_text[0]));
	tok_inline = token == '\n' || token == '{' ? 0 : tok_inline + 1;
	if (token == STRING)
		snprintf(tok_text[1], sizeof(tok_text[1]), "\"%s\"",
		    yylval.v.string);
	else if (token == NUMBER)
		snprintf(tok_text[1], sizeof(tok_text[1]), "%lld",
		    (long long)yylval.v.number);
	else if (token == '\n' || token == 0)
		tok_text[1][0] = '\0';
	else if (token < 256)
		snprintf(tok_text[1], sizeof(tok_text[1]), "%c", token);
	else
		strlcpy(tok_text[1], kw_text, sizeof(tok_text[1]));
	if (token == '{' && nbraces < BRACES_MAX)
		brace_line[nbraces++] = file->lineno;
	else if (token == '}' && nbraces > 0)
		nbraces--;
	return token;
}

static int
yylex_token(void)
{
	unsigned char	 buf[RDATA_TEXT_MAX];
	unsigned char	*p;
	char		*val;
	size_t		 len;
	int		 quotec, next, c, token;

	if (file->newline) {
		file->lineno++;
		file->newline = 0;
	}
 top:
	p = buf;
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == START_EXPAND ||
	    c == DONE_EXPAND) {
		if (c == START_EXPAND)
			expanding = 1;
		else if (c == DONE_EXPAND)
			expanding = 0;
	}

	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			; /* nothing */
	if (c == '$' && !expanding) {
		while (1) {
			if ((c = lgetc(0)) == EOF)
				return 0;
			if (p + 1 >= buf + sizeof(buf) - 1) {
				yyerror("string too long");
				return findeol();
			}
			if (c < 256 && (isalnum(c) || c == '_')) {
				*p++ = c;
				continue;
			}
			*p = '\0';
			lungetc(c);
			break;
		}
		if ((val = symget((char *)buf)) == NULL) {
			yyerror("macro \"%s\" is not defined", buf);
			return findeol();
		}
		len = strlen(val);
		if (pushback_index + len + 2 >= RDATA_TEXT_MAX) {
			yyerror("macro \"%s\" is too long", buf);
			return findeol();
		}
		lungetc(DONE_EXPAND);
		while (len > 0)
			lungetc((unsigned char)val[--len]);
		lungetc(START_EXPAND);
		goto top;
	}

	switch (c) {
	case '\'':
	case '"':
		quotec = c;
		while (1) {
			if ((c = lgetc(quotec)) == EOF)
				return 0;
			if (c == START_EXPAND || c == DONE_EXPAND) {
				expanding = c == START_EXPAND;
				continue;
			}
			if (c == '\n') {
				yyerror("quoted string runs past the end of "
				    "the line");
				lungetc(c);
				return ERROR;
			} else if (c == '\\') {
				if ((next = lgetc(quotec)) == EOF)
					return 0;
				if (next == quotec || next == '\\')
					c = next;
				else if (next == '\n') {
					file->lineno++;
					continue;
				} else
					lungetc(next);
			} else if (c == quotec) {
				*p = '\0';
				break;
			} else if (c != '\t' && c >= 0 && c < 0x20) {
				yyerror("control character 0x%02x in a string",
				    c);
				return findeol();
			}
			if (p + 1 >= buf + sizeof(buf) - 1) {
				yyerror("string too long");
				return findeol();
			}
			*p++ = c;
		}
		yylval.v.string = strdup((char *)buf);
		if (yylval.v.string == NULL)
			fatal("%s", __func__);
		return STRING;
	}

#define allowed_to_end_number(x) \
	(x >= 256 || isspace(x) || x == ')' || x == ',' || x == '/' || \
	x == '}' || x == '=')

	if (c == '-' || (c >= 0 && c < 256 && isdigit(c))) {
		do {
			*p++ = c;
			if ((size_t)(p - buf) >= sizeof(buf)) {
				yyerror("string too long");
				return findeol();
			}
		} while ((c = lgetc(0)) != EOF && c < 256 && isdigit(c));
		lungetc(c);
		if (p == buf + 1 && buf[0] == '-')
			goto nodigits;
		if (c == EOF || allowed_to_end_number(c)) {
			const char *errstr = NULL;
			long long n;
			char *end;

			*p = '\0';
			errno = 0;
			n = strtoll((char *)buf, &end, 10);
			if (errno != 0 || *end != '\0')
				errstr = "out of range";
			else if (n < INT32_MIN || n > UINT32_MAX)
				errstr = "out of range";
			if (errstr) {
				yyerror("number %s is %s", buf, errstr);
				return findeol();
			}
			yylval.v.number = n;
			return NUMBER;
		} else {
 nodigits:
			while (p > buf + 1)
				lungetc(*--p);
			c = *--p;
			if (c == '-')
				return c;
		}
	}

#define allowed_in_string(x) \
	(x < 256 && (isalnum(x) || (ispunct(x) && x != '(' && x != ')' && \
	x != '{' && x != '}' && x != '<' && x != '>' && \
	x != '!' && x != '=' && x != '#' && x != ',' && \
	x != '"' && x != '\'' && x != ';')))

	if (c < 256 && (isalnum(c) || c == ':' || c == '_' || c == '*' ||
	    c == '.' || c == '/' || c == '[')) {
		do {
			*p++ = c;
			if ((size_t)(p - buf) >= sizeof(buf)) {
				yyerror("string too long");
				return findeol();
			}
		} while ((c = lgetc(0)) != EOF && allowed_in_string(c));
		lungetc(c);
		*p = '\0';
		if ((token = lookup((char *)buf)) == STRING) {
			if ((yylval.v.string = strdup((char *)buf)) == NULL)
				fatal("%s", __func__);
		} else
			strlcpy(kw_text, (char *)buf, sizeof(kw_text));
		return token;
	}
	if (c == '\n')
		file->newline = 1;
	if (c == EOF)
		return 0;
	if (c > 0 && c < 256 && !isprint(c) && c != '\n') {
		yyerror("unexpected control character 0x%02x", c);
		return findeol();
	}
	return c;
}

/*
 * A relative include is relative to the file that includes it, so a
 * configuration tree can be moved as a whole.
 */
/*
 * A relative path in the configuration is relative to the file naming it,
 * so a configuration tree can be moved as a whole.
 */
static int
include_path(const char *name, char *out, size_t outlen)
{
	const char	*slash;
	int		 n;

	if (name[0] != '/' && file != NULL &&
	    (slash = strrchr(file->name, '/')) != NULL)
		n = snprintf(out, outlen, "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	else
		n = snprintf(out, outlen, "%s", name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static struct file *
pushfile(const char *name, int toplevel)
{
	struct file	*nfile;
	char		 path[PATH_MAX];
	int		 depth = 0;

	TAILQ_FOREACH(nfile, &files, entry)
		depth++;
	if (depth >= MAX_INCLUDE_DEPTH) {
		yyerror("include \"%s\": nested too deep (more than %d)",
		    name, MAX_INCLUDE_DEPTH);
		return NULL;
	}
	if (include_path(name, path, sizeof(path)) == -1) {
		yyerror("include \"%s\": path too long", name);
		return NULL;
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL ||
	    (nfile->name = strdup(path)) == NULL)
		fatal("calloc");
	if ((nfile->stream = fopen(path, "r")) == NULL) {
		if (toplevel)
			log_warn("%s", path);
		else
			yyerror("include \"%s\": %s", path, strerror(errno));
		free(nfile->name);
		free(nfile);
		return NULL;
	}
	nfile->lineno = 1;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return nfile;
}

static int
popfile(void)
{
	struct file	*prev;

	if ((prev = TAILQ_PREV(file, files, entry)) != NULL)
		prev->errors += file->errors;
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file);
	file = prev;
	return file ? 0 : EOF;
}

static int
symset(const char *name, const char *val)
{
	struct sym	*sym;

	if (lookup((char *)name) != STRING) {
		yyerror("macro name \"%s\" is a keyword", name);
		return -1;
	}
	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(name, sym->name) == 0)
			break;
	if (sym != NULL) {
		free(sym->val);
		if ((sym->val = strdup(val)) == NULL)
			fatal("strdup");
		return 0;
	}
	if (nsyms >= MAX_MACROS) {
		yyerror("too many macros (more than %d)", MAX_MACROS);
		return -1;
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL ||
	    (sym->name = strdup(name)) == NULL ||
	    (sym->val = strdup(val)) == NULL)
		fatal("symset");
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	nsyms++;
	return 0;
}

static char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(name, sym->name) == 0)
			return sym->val;
	return NULL;
}

static void
symclear(void)
{
	struct sym	*sym;

	while ((sym = TAILQ_FIRST(&symhead)) != NULL) {
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->val);
		free(sym);
	}
	nsyms = 0;
}

static int
rrname_cmp(struct rrname *a, struct rrname *b)
{
	return strcmp(a->name, b->name);
}

static void
rrnames_clear(void)
{
	struct rrname	*n, *next;

	RB_FOREACH_SAFE(n, rrname_tree, &rrnames, next) {
		RB_REMOVE(rrname_tree, &rrnames, n);
		free(n->recs);
		free(n->owned);
		free(n->peer);
		free(n);
	}
}

static void
rdata_clear(void)
{
	int	i;

	for (i = 0; i < nrdata; i++)
		free(rdata[i].text);
	nrdata = 0;
	rdata_overflow = 0;
}

static int
rdata_add(char *text, int isnum, int64_t num)
{
	if (nrdata == MAX_RDATA_ITEMS) {
		free(text);
		if (!rdata_overflow)
			yyerror("record has more than %d data fields",
			    MAX_RDATA_ITEMS);
		rdata_overflow = 1;
		return -1;
	}
	rdata[nrdata].text = text;
	rdata[nrdata].isnum = isnum;
	rdata[nrdata].num = num;
	nrdata++;
	return 0;
}

/* A domain name in canonical form: lower case, trailing dot, escaped. */
static int
dname_canon(const char *in, char *out, size_t outlen)
{
	struct dname	d;
	char		err[DNAME_TEXT_MAX + 128];

	if (dname_parse(in, &d, err, sizeof(err)) == -1) {
		yyerror("%s", err);
		return -1;
	}
	if (dname_text(&d, out, outlen) == -1) {
		yyerror("domain name \"%s\" is too long", in);
		return -1;
	}
	return 0;
}

static int
dname_is_below(const char *name, const char *zone)
{
	size_t	nlen = strlen(name), zlen = strlen(zone);

	if (strcmp(zone, ".") == 0)
		return 1;
	if (nlen < zlen || strcmp(name + nlen - zlen, zone) != 0)
		return 0;
	return nlen == zlen || (name[nlen - zlen - 1] == '.' &&
	    (nlen - zlen < 2 || name[nlen - zlen - 2] != '\\'));
}

/* The closest enclosing domain of a canonical name. */
static struct domain_conf *
domain_find(const char *name)
{
	struct domain_conf	*d, *best = NULL;

	TAILQ_FOREACH(d, &conf->domains, entry)
		if (dname_is_below(name, d->name) &&
		    (best == NULL || strlen(d->name) > strlen(best->name)))
			best = d;
	return best;
}

/* The prefix list just read, onto one of the main section's lists. */
static int
add_prefixes(enum plist list, const char *what)
{
	size_t	i;

	for (i = 0; i < nplist; i++)
		if (prefixlist_add(&conf->lists[list], &plist[i]) == -1) {
			yyerror("%s: too many prefixes", what);
			return -1;
		}
	return 0;
}

/*
 * tsig-key NAME algorithm ALG secret BASE64: checked here as ldns will
 * use it, so that a bad key is the configuration's error, with its line.
 */
static int
add_tsig_key(const char *name, const char *alg, const char *secret)
{
	/* what ldns signs with */
	static const char	*algs[] = { "hmac-sha1", "hmac-sha256",
				    "hmac-sha512" };
	struct tsig_conf	*k;
	ldns_rdf		*raw = NULL;
	size_t			 i;

	if (ntsigkeys == TSIG_KEYS_MAX) {
		yyerror("more than %d tsig-key lines", TSIG_KEYS_MAX);
		return -1;
	}
	k = &tsigkeys[ntsigkeys];
	if (dname_canon(name, k->name, sizeof(k->name)) == -1)
		return -1;
	for (i = 0; i < ntsigkeys; i++)
		if (strcmp(tsigkeys[i].name, k->name) == 0) {
			yyerror("tsig-key \"%s\" is defined twice", name);
			return -1;
		}
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(alg, algs[i]) == 0)
			break;
	if (i == sizeof(algs) / sizeof(algs[0])) {
		yyerror("tsig-key \"%s\": algorithm %s is not one of "
		    "hmac-sha1, hmac-sha256, hmac-sha512", name, alg);
		return -1;
	}
	snprintf(k->algorithm, sizeof(k->algorithm), "%s.", algs[i]);
	if (strlen(secret) >= sizeof(k->secret) ||
	    ldns_str2rdf_b64(&raw, secret) != LDNS_STATUS_OK ||
	    ldns_rdf_size(raw) < 16) {
		yyerror("tsig-key \"%s\": the secret is not base64 of 16 "
		    "bytes or more, in under %d characters", name,
		    TSIG_SECRET_MAX);
		if (raw != NULL)
			explicit_bzero(ldns_rdf_data(raw), ldns_rdf_size(raw));
		ldns_rdf_deep_free(raw);
		return -1;
	}
	explicit_bzero(ldns_rdf_data(raw), ldns_rdf_size(raw));
	ldns_rdf_deep_free(raw);
	strlcpy(k->secret, secret, sizeof(k->secret));
	ntsigkeys++;
	return 0;
}

/* A key defined on a line above, by name; NULL after saying so. */
static const struct tsig_conf *
find_key(const char *name)
{
	char	canon[DNAME_TEXT_MAX];
	size_t	i;

	if (dname_canon(name, canon, sizeof(canon)) == -1)
		return NULL;
	for (i = 0; i < ntsigkeys; i++)
		if (strcmp(tsigkeys[i].name, canon) == 0)
			return &tsigkeys[i];
	yyerror("tsig-key \"%s\" is not defined above", name);
	return NULL;
}

/* transfer to ... tsig-key NAME */
static int
set_transfer_key(const char *name)
{
	struct xfr_conf		*x = &conf->xfr;
	const struct tsig_conf	*k;

	if ((k = find_key(name)) == NULL)
		return -1;
	if (x->key.name[0] != '\0' && strcmp(x->key.name, k->name) != 0) {
		yyerror("transfer to: a second tsig-key, \"%s\"; one key "
		    "signs every transfer", name);
		return -1;
	}
	x->key = *k;
	return 0;
}

/*
 * update to ADDRESS [port N] zone ZONE [tsig-key NAME]: the presence
 * records of our domain ZONE, sent to the primary that holds it.
 */
static int
add_update(const char *addr, int64_t port, const char *zone,
    const char *key)
{
	struct update_conf	*u;
	const struct tsig_conf	*k;
	uint32_t		 i;

	if (conf->nupdates == UPDATE_MAX) {
		yyerror("more than %d update lines", UPDATE_MAX);
		return -1;
	}
	u = &conf->updates[conf->nupdates];
	memset(u, 0, sizeof(*u));
	if (listen_addr("update to", addr, port, &u->addr) == -1 ||
	    dname_canon(zone, u->zone, sizeof(u->zone)) == -1)
		return -1;
	if (domain_find(u->zone) == NULL ||
	    strcmp(domain_find(u->zone)->name, u->zone) != 0) {
		yyerror("update to %s: zone \"%s\" is not a domain defined "
		    "above", addr, zone);
		return -1;
	}
	for (i = 0; i < conf->nupdates; i++)
		if (memcmp(&conf->updates[i].addr, &u->addr,
		    sizeof(u->addr)) == 0 &&
		    strcmp(conf->updates[i].zone, u->zone) == 0) {
			yyerror("update to %s zone \"%s\" is given twice",
			    addr, zone);
			return -1;
		}
	if (key != NULL) {
		if ((k = find_key(key)) == NULL)
			return -1;
		u->key = *k;
	}
	conf->nupdates++;
	return 0;
}

/* notify ADDRESS [port N]: a secondary told of every new serial. */
static int
add_notify(const char *addr, int64_t port)
{
	struct xfr_conf	*x = &conf->xfr;
	union sockunion	 su;
	uint32_t	 i;

	if (listen_addr("notify", addr, port, &su) == -1)
		return -1;
	for (i = 0; i < x->nnotify; i++)
		if (memcmp(&x->notify[i], &su, sizeof(su)) == 0) {
			yyerror("notify %s is given twice",
			    sockunion_ntop(&su));
			return -1;
		}
	if (x->nnotify == XFR_NOTIFY_MAX) {
		yyerror("more than %d notify lines", XFR_NOTIFY_MAX);
		return -1;
	}
	x->notify[x->nnotify++] = su;
	return 0;
}

/* A listening address and port; 'what' names the line for the error. */
static int
listen_addr(const char *what, const char *addr, int64_t port,
    union sockunion *su)
{
	memset(su, 0, sizeof(*su));
	if (inet_pton(AF_INET, addr, &su->sin.sin_addr) == 1) {
		su->sin.sin_family = AF_INET;
		su->sin.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &su->sin6.sin6_addr) == 1) {
		su->sin6.sin6_family = AF_INET6;
		su->sin6.sin6_port = htons(port);
	} else {
		yyerror("%s \"%s\": not an IPv4 or IPv6 address", what, addr);
		return -1;
	}
	return 0;
}

static int
set_metrics(const char *addr, int64_t port)
{
	if (conf->metrics.sa.sa_family != 0) {
		yyerror("metrics listen on is given twice");
		return -1;
	}
	return listen_addr("metrics listen on", addr, port, &conf->metrics);
}

static int
add_listen(const char *addr, int64_t port)
{
	struct listen_conf	*l, *o;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	if (listen_addr("listen on", addr, port, &l->addr) == -1) {
		free(l);
		return -1;
	}
	TAILQ_FOREACH(o, &conf->listens, entry)
		if (memcmp(&o->addr, &l->addr, sizeof(l->addr)) == 0) {
			yyerror("listen on %s is given twice",
			    sockunion_ntop(&l->addr));
			free(l);
			return -1;
		}
	TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	return 0;
}

/* An address or prefix of a list being read ("allow from", "match from"). */
static int
plist_add(const char *s)
{
	struct prefix	p, *n;

	if (prefix_parse(s, &p) == -1) {
		if (errno == EDOM)
			yyerror("%s: host bits are set beyond the prefix "
			    "length", s);
		else
			yyerror("\"%s\": not an address or prefix", s);
		return -1;
	}
	if (nplist >= LIST_MAX) {
		yyerror("more than %d prefixes in one list", LIST_MAX);
		return -1;
	}
	if ((n = reallocarray(plist, nplist + 1, sizeof(*n))) == NULL)
		fatal("reallocarray");
	plist = n;
	plist[nplist++] = p;
	return 0;
}

/* A domain name of a list being read ("match query"). */
static int
nlist_add(const char *s)
{
	char	 name[DNAME_TEXT_MAX], **n;

	if (dname_canon(s, name, sizeof(name)) == -1)
		return -1;
	if (nnlist >= LIST_MAX) {
		yyerror("more than %d names in one list", LIST_MAX);
		return -1;
	}
	if ((n = reallocarray(nlist, nnlist + 1, sizeof(*n))) == NULL ||
	    (n[nnlist] = strdup(name)) == NULL)
		fatal("reallocarray");
	nlist = n;
	nnlist++;
	return 0;
}

static void
nlist_clear(void)
{
	size_t	i;

	for (i = 0; i < nnlist; i++)
		free(nlist[i]);
	free(nlist);
	nlist = NULL;
	nnlist = 0;
}

static struct forwarder_conf *
forwarder_find(const char *name)
{
	struct forwarder_conf	*f;

	TAILQ_FOREACH(f, &conf->forwarders, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static int
add_forwarder(const char *name)
{
	struct forwarder_conf	*f;
	size_t			 i, len = strlen(name);

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_' && name[i] != '.')
			break;
	if (len == 0 || len >= FWD_NAME_MAX || i != len) {
		yyerror("forwarder \"%s\": a name of letters, digits, '-', "
		    "'_' and '.', shorter than %d", name, FWD_NAME_MAX);
		return -1;
	}
	if (forwarder_find(name) != NULL) {
		yyerror("forwarder \"%s\" is declared twice", name);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("calloc");
	strlcpy(f->name, name, sizeof(f->name));
	f->policy = FWD_FAILOVER;
	f->timeout_ms = FWD_TIMEOUT_MS;
	f->cache_size = FWD_CACHE_SIZE;
	f->cache_max_ttl = FWD_CACHE_MAX_TTL;
	TAILQ_INSERT_TAIL(&conf->forwarders, f, entry);
	curfwd = f;
	return 0;
}

static int
add_server(const char *addr, int64_t port)
{
	struct server_conf	sc;

	memset(&sc, 0, sizeof(sc));
	if (inet_pton(AF_INET, addr, &sc.addr.sin.sin_addr) == 1) {
		sc.addr.sin.sin_family = AF_INET;
		sc.addr.sin.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &sc.addr.sin6.sin6_addr) == 1) {
		sc.addr.sin6.sin6_family = AF_INET6;
		sc.addr.sin6.sin6_port = htons(port);
	} else {
		yyerror("server \"%s\": not an IPv4 or IPv6 address", addr);
		return -1;
	}
	if (curfwd->nservers == FWD_MAX_SERVERS) {
		yyerror("forwarder \"%s\": more than %d servers",
		    curfwd->name, FWD_MAX_SERVERS);
		return -1;
	}
	curfwd->servers[curfwd->nservers++] = sc;
	return 0;
}

/*
 * A server's options are in: the port the transport implies when none
 * was given, then the check for one given twice.
 */
static int
finish_server(void)
{
	struct server_conf	*sc = &curfwd->servers[curfwd->nservers - 1];
	in_port_t		*port = sc->addr.sa.sa_family == AF_INET ?
				    &sc->addr.sin.sin_port :
				    &sc->addr.sin6.sin6_port;
	uint32_t		 i;

	if (*port == 0)
		*port = htons(sc->tls ? DOT_PORT : DNS_PORT);
	if (sc->tls && sc->proxy) {
		yyerror("server %s: proxy-protocol and tls: a TLS connection "
		    "carries many clients' queries", sockunion_ntop(&sc->addr));
		return -1;
	}
	for (i = 0; i + 1 < curfwd->nservers; i++)
		if (memcmp(&curfwd->servers[i].addr, &sc->addr,
		    sizeof(sc->addr)) == 0) {
			yyerror("forwarder \"%s\": server %s is given twice",
			    curfwd->name, sockunion_ntop(&sc->addr));
			curfwd->nservers--;
			return -1;
		}
	/* failover would take queries meant to be private to plain text */
	if (curfwd->servers[0].tls != sc->tls) {
		yyerror("forwarder \"%s\": server %s: tls on some servers "
		    "only", curfwd->name, sockunion_ntop(&sc->addr));
		curfwd->nservers--;
		return -1;
	}
	return 0;
}

/* tls "NAME": DNS over TLS, the certificate verified for NAME. */
static int
server_tls(const char *name)
{
	struct server_conf	*sc = &curfwd->servers[curfwd->nservers - 1];
	size_t			 i, len = strlen(name);

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '.' && name[i] != ':' && name[i] != '_')
			break;
	if (len == 0 || len >= sizeof(sc->tls_name) || i != len) {
		yyerror("tls \"%s\": a host name (or address) the server's "
		    "certificate carries", name);
		return -1;
	}
	if (sc->tls) {
		yyerror("server %s: tls is given twice",
		    sockunion_ntop(&sc->addr));
		return -1;
	}
	sc->tls = 1;
	strlcpy(sc->tls_name, name, sizeof(sc->tls_name));
	return 0;
}

/* tls-ca PATH: the certificates a tls server's chain must end in. */
static int
forwarder_tls_ca(const char *name)
{
	char		path[PATH_MAX];
	struct stat	st;
	int		fd;

	if (curfwd->tls_ca[0] != '\0') {
		yyerror("forwarder \"%s\": tls-ca is given twice",
		    curfwd->name);
		return -1;
	}
	if (include_path(name, path, sizeof(path)) == -1) {
		yyerror("tls-ca \"%s\": path too long", name);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		yyerror("forwarder \"%s\": tls-ca \"%s\": %s", curfwd->name,
		    path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	/* none would be read: libtls would turn to the system's store */
	if (st.st_size == 0) {
		yyerror("forwarder \"%s\": tls-ca \"%s\": empty",
		    curfwd->name, path);
		return -1;
	}
	/* absolute, so a reload from another directory finds it again */
	if (realpath(path, curfwd->tls_ca) == NULL) {
		yyerror("forwarder \"%s\": tls-ca \"%s\": %s", curfwd->name,
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/* dnstap "PATH": the collector's socket; both kinds of message by default. */
static int
set_dnstap(const char *path)
{
	if (conf->main.dnstap[0] != '\0') {
		yyerror("dnstap is given twice");
		return -1;
	}
	if (path[0] != '/' || strlcpy(conf->main.dnstap, path,
	    sizeof(conf->main.dnstap)) >= sizeof(conf->main.dnstap)) {
		yyerror("dnstap \"%s\": an absolute path shorter than %d",
		    path, DNSTAP_PATH_MAX);
		conf->main.dnstap[0] = '\0';
		return -1;
	}
	conf->main.dnstap_client = conf->main.dnstap_forwarder = 1;
	return 0;
}

int
forwarder_has_tls(const struct forwarder_conf *f)
{
	uint32_t	i;

	for (i = 0; i < f->nservers; i++)
		if (f->servers[i].tls)
			return 1;
	return 0;
}

static void
finish_forwarder(void)
{
	struct forwarder_conf	*f = curfwd;

	curfwd = NULL;
	if (f->nservers == 0)
		yyerror("forwarder \"%s\" has no server", f->name);
	if (f->cache_min_ttl > f->cache_max_ttl)
		yyerror("forwarder \"%s\": cache-min-ttl %u is above "
		    "cache-max-ttl %u", f->name, f->cache_min_ttl,
		    f->cache_max_ttl);
	if (f->tls_ca[0] != '\0' && !forwarder_has_tls(f))
		yyerror("forwarder \"%s\": tls-ca, but no server speaks tls",
		    f->name);
}

/* 16777216, or with a K, M or G (powers of 1024): 16M */
static int
parse_size(const char *s, int64_t *out)
{
	char		*end;
	unsigned long long n;
	int		 shift = 0;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (end == s || errno != 0)
		goto bad;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	default:
		goto bad;
	}
	if (end[1] != '\0' || n > (1ULL << (40 - shift)))
		goto bad;
	*out = n << shift;
	return 0;
 bad:
	yyerror("\"%s\" is not a size (a number, or one with K, M or G, up to "
	    "1T)", s);
	return -1;
}

/* What a rule that failed half way left behind. */
static void
rule_clear(void)
{
	size_t	i;

	for (i = 0; i < currule.nquery; i++)
		free(currule.query[i]);
	free(currule.query);
	free(currule.from);
	free(currule.block);
	memset(&currule, 0, sizeof(currule));
}

static struct blocklist_conf *
blocklist_find(const char *name)
{
	struct blocklist_conf	*b;

	TAILQ_FOREACH(b, &conf->blocklists, entry)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

static int
add_blocklist(const char *name)
{
	struct blocklist_conf	*b;
	size_t			 i, len = strlen(name), n = 0;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_' && name[i] != '.')
			break;
	if (len == 0 || len >= BL_NAME_MAX || i != len) {
		yyerror("blocklist \"%s\": a name of letters, digits, '-', "
		    "'_' and '.', shorter than %d", name, BL_NAME_MAX);
		return -1;
	}
	if (blocklist_find(name) != NULL) {
		yyerror("blocklist \"%s\" is declared twice", name);
		return -1;
	}
	TAILQ_FOREACH(b, &conf->blocklists, entry)
		n++;
	if (n >= BL_MAX_LISTS) {
		yyerror("more than %d blocklists", BL_MAX_LISTS);
		return -1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("calloc");
	strlcpy(b->name, name, sizeof(b->name));
	b->answer = BL_ANSWER_NXDOMAIN;
	TAILQ_INSERT_TAIL(&conf->blocklists, b, entry);
	curbl = b;
	return 0;
}

/*
 * The parent opens a list file now, so that a missing one is an error
 * with its line; the resolver, sandboxed, reads and parses it: list
 * files come from the Internet.
 */
static int
blocklist_file(const char *name)
{
	char	path[PATH_MAX], abs[PATH_MAX];
	int	fd;

	if (curbl->nfiles == BL_MAX_FILES) {
		yyerror("blocklist \"%s\": more than %d files", curbl->name,
		    BL_MAX_FILES);
		return -1;
	}
	if (include_path(name, path, sizeof(path)) == -1) {
		yyerror("file \"%s\": path too long", name);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		yyerror("blocklist \"%s\": file \"%s\": %s", curbl->name,
		    path, strerror(errno));
		return -1;
	}
	/* absolute, so a reload from another directory finds it again */
	if (realpath(path, abs) == NULL) {
		yyerror("blocklist \"%s\": file \"%s\": %s", curbl->name,
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((curbl->files[curbl->nfiles] = strdup(abs)) == NULL)
		fatal("strdup");
	curbl->fds[curbl->nfiles++] = fd;
	return 0;
}

static int
blocklist_allow(const char *name)
{
	char	canon[DNAME_TEXT_MAX], **n;

	if (dname_canon(name, canon, sizeof(canon)) == -1)
		return -1;
	n = reallocarray(curbl->allows, curbl->nallows + 1, sizeof(*n));
	if (n == NULL || (n[curbl->nallows] = strdup(canon)) == NULL)
		fatal("reallocarray");
	curbl->allows = n;
	curbl->nallows++;
	return 0;
}

static int
blocklist_address(const char *s)
{
	memset(&curbl->addr, 0, sizeof(curbl->addr));
	if (inet_pton(AF_INET, s, &curbl->addr.a.v4) == 1)
		curbl->addr.af = AF_INET;
	else if (inet_pton(AF_INET6, s, &curbl->addr.a.v6) == 1)
		curbl->addr.af = AF_INET6;
	else {
		yyerror("blocklist \"%s\": answer \"%s\": not nxdomain, "
		    "refused, null or an address", curbl->name, s);
		return -1;
	}
	curbl->answer = BL_ANSWER_ADDRESS;
	return 0;
}

static int
rule_block(const char *name)
{
	char	(*n)[BL_NAME_MAX];
	size_t	 i;

	if (blocklist_find(name) == NULL) {
		yyerror("match: blocklist \"%s\" is not declared before it",
		    name);
		return -1;
	}
	for (i = 0; i < currule.nblock; i++)
		if (strcmp(currule.block[i], name) == 0) {
			yyerror("match: blocklist \"%s\" is given twice", name);
			return -1;
		}
	if (currule.nblock == BL_MAX_LISTS) {
		yyerror("match: more than %d blocklists", BL_MAX_LISTS);
		return -1;
	}
	if ((n = reallocarray(currule.block, currule.nblock + 1,
	    sizeof(*n))) == NULL)
		fatal("reallocarray");
	currule.block = n;
	/* whole, padding too: the buffer goes to the resolver as it is */
	memset(currule.block[currule.nblock], 0, BL_NAME_MAX);
	strlcpy(currule.block[currule.nblock++], name, BL_NAME_MAX);
	return 0;
}

static void
rule_start(void)
{
	rule_clear();
	currule.line = file->lineno;
}

static void
rule_set_from(void)
{
	if ((currule.from = calloc(nplist, sizeof(*currule.from))) == NULL)
		fatal("calloc");
	memcpy(currule.from, plist, nplist * sizeof(*plist));
	currule.nfrom = nplist;
}

static void
rule_set_query(void)
{
	currule.query = nlist;
	currule.nquery = nnlist;
	nlist = NULL;
	nnlist = 0;
}

static int
rule_forward(const char *group)
{
	if (forwarder_find(group) == NULL) {
		yyerror("match: forwarder \"%s\" is not declared before it",
		    group);
		return -1;
	}
	currule.action = MATCH_FORWARD;
	strlcpy(currule.group, group, sizeof(currule.group));
	return 0;
}

static int
add_match(void)
{
	struct match_conf	*m;
	size_t			 size, i;

	/* a rule travels to the resolver as one message */
	size = IMSG_HEADER_SIZE + sizeof(struct match_msg) +
	    currule.nfrom * sizeof(struct prefix);
	for (i = 0; i < currule.nquery; i++)
		size += strlen(currule.query[i]) + 1;
	size += currule.nblock * BL_NAME_MAX;
	if (size > IMSG_MAX_SIZE) {
		yyerror("match: too many prefixes and names for one rule; "
		    "split it");
		return -1;
	}
	if ((m = malloc(sizeof(*m))) == NULL)
		fatal("malloc");
	*m = currule;
	memset(&currule, 0, sizeof(currule));
	TAILQ_INSERT_TAIL(&conf->matches, m, entry);
	return 0;
}

static int
add_domain(const char *name)
{
	struct domain_conf	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("calloc");
	if (dname_canon(name, d->name, sizeof(d->name)) == -1) {
		free(d);
		return -1;
	}
	if (strcmp(d->name, ".") == 0) {
		yyerror("domain \".\": the root cannot be a local domain");
		free(d);
		return -1;
	}
	if (domain_find(d->name) != NULL &&
	    strcmp(domain_find(d->name)->name, d->name) == 0) {
		yyerror("domain \"%s\" is declared twice", d->name);
		free(d);
		return -1;
	}
	if (names_below(d->name) == -1) {
		free(d);
		return -1;
	}
	d->ttl = DOMAIN_TTL;
	d->negttl = DOMAIN_NEGTTL;
	d->threshold = DOMAIN_THRESHOLD;
	strlcpy(d->nameserver, "localhost.", sizeof(d->nameserver));
	TAILQ_INSERT_TAIL(&conf->domains, d, entry);
	curdomain = d;
	return 0;
}

/*
 * Records belong to the closest domain declared before them, and that is
 * what the resolver will make of them only if no domain comes later
 * inside: a domain must come before every name it holds.
 */
static int
names_below(const char *domain)
{
	struct rrname	*n;

	RB_FOREACH(n, rrname_tree, &rrnames)
		if (dname_is_below(n->name, domain)) {
			yyerror("domain \"%s\" must come before \"%s\", a "
			    "name in it", domain, n->name);
			return -1;
		}
	return 0;
}

/*
 * The domain's SOA and NS, built now as the resolver will build them: a
 * name too long for them is an error here, not a dying resolver.
 */
static void
finish_domain(void)
{
	struct domain_conf	*d = curdomain;
	ldns_rr			*rr = NULL;
	ldns_status		 st;
	char			*s, hm[DNAME_TEXT_MAX + 16];

	curdomain = NULL;
	if (d->hostmaster[0] == '\0') {
		snprintf(hm, sizeof(hm), "hostmaster.%s", d->name);
		if (dname_canon(hm, d->hostmaster, sizeof(d->hostmaster)) ==
		    -1) {
			yyerror("domain \"%s\": set hostmaster, the default "
			    "one is too long", d->name);
			return;
		}
	}
	if (asprintf(&s, "%s %u IN SOA %s %s 1 1 1 1 %u", d->name, d->ttl,
	    d->nameserver, d->hostmaster, d->negttl) == -1)
		fatal("asprintf");
	st = ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL);
	free(s);
	ldns_rr_free(rr);
	if (st != LDNS_STATUS_OK)
		yyerror("domain \"%s\": its SOA record does not parse: %s",
		    d->name, ldns_get_errorstr_by_id(st));
}

/* 'what' names the record in messages: record "name." TYPE */
static int
rdata_count(const char *what, int want)
{
	if (nrdata == want)
		return 0;
	yyerror("%s takes %d data field%s, not %d", what, want,
	    want == 1 ? "" : "s", nrdata);
	return -1;
}

static int
rdata_u16(const char *what, int i, const char *field)
{
	if (!rdata[i].isnum || rdata[i].num < 0 || rdata[i].num > 65535) {
		yyerror("%s: %s \"%s\" is not a number from 0 to 65535",
		    what, field, rdata[i].text);
		return -1;
	}
	return 0;
}

static int
rdata_address(const char *what, int af, char *out, size_t outlen)
{
	struct in6_addr	a;

	if (rdata_count(what, 1) == -1)
		return -1;
	if (inet_pton(af, rdata[0].text, &a) != 1) {
		yyerror("%s: \"%s\" is not an %s address", what,
		    rdata[0].text, af == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if (inet_ntop(af, &a, out, outlen) == NULL)
		fatal("inet_ntop");
	return 0;
}

/*
 * TXT strings, quoted, with '"' and '\\' escaped: the form ldns reads and
 * our own lexer reads back to the same bytes.
 */
static int
rdata_txt(const char *what, char *out, size_t outlen)
{
	size_t	 o = 0, len;
	int	 i;
	const unsigned char *s;

	if (nrdata == 0) {
		yyerror("%s needs at least one string", what);
		return -1;
	}
	for (i = 0; i < nrdata; i++) {
		if ((len = strlen(rdata[i].text)) > 255) {
			yyerror("%s: a string of %zu bytes is longer than "
			    "255", what, len);
			return -1;
		}
		if (o + 2 * len + 4 >= outlen) {
			yyerror("%s is too long", what);
			return -1;
		}
		if (i > 0)
			out[o++] = ' ';
		out[o++] = '"';
		for (s = (const unsigned char *)rdata[i].text; *s; s++) {
			if (*s == '"' || *s == '\\')
				out[o++] = '\\';
			out[o++] = *s;
		}
		out[o++] = '"';
	}
	out[o] = '\0';
	return 0;
}

static int
rdata_canon(uint16_t type, const char *what, char *out, size_t outlen)
{
	char	target[DNAME_TEXT_MAX];
	int	last;

	switch (type) {
	case LDNS_RR_TYPE_A:
		return rdata_address(what, AF_INET, out, outlen);
	case LDNS_RR_TYPE_AAAA:
		return rdata_address(what, AF_INET6, out, outlen);
	case LDNS_RR_TYPE_TXT:
		return rdata_txt(what, out, outlen);
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
		last = 0;
		if (rdata_count(what, 1) == -1)
			return -1;
		break;
	case LDNS_RR_TYPE_MX:
		last = 1;
		if (rdata_count(what, 2) == -1 ||
		    rdata_u16(what, 0, "preference") == -1)
			return -1;
		break;
	case LDNS_RR_TYPE_SRV:
		last = 3;
		if (rdata_count(what, 4) == -1 ||
		    rdata_u16(what, 0, "priority") == -1 ||
		    rdata_u16(what, 1, "weight") == -1 ||
		    rdata_u16(what, 2, "port") == -1)
			return -1;
		break;
	default:
		fatalx("%s: type %u", __func__, type);
	}
	if (dname_canon(rdata[last].text, target, sizeof(target)) == -1)
		return -1;
	switch (type) {
	case LDNS_RR_TYPE_MX:
		snprintf(out, outlen, "%lld %s", (long long)rdata[0].num,
		    target);
		break;
	case LDNS_RR_TYPE_SRV:
		snprintf(out, outlen, "%lld %lld %lld %s",
		    (long long)rdata[0].num, (long long)rdata[1].num,
		    (long long)rdata[2].num, target);
		break;
	default:
		strlcpy(out, target, outlen);
	}
	return 0;
}

static uint16_t
record_type(const char *s)
{
	static const uint16_t allowed[] = {
		LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CNAME,
		LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_MX,
		LDNS_RR_TYPE_SRV
	};
	uint16_t	t = ldns_get_rr_type_by_name(s);
	size_t		i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (t == allowed[i])
			return t;
	return 0;
}

/* Reject a CNAME beside other data, and records given twice. */
static int
record_index(struct record_conf *r, const char *tname)
{
	struct rrname	 key, *n;
	size_t		 i;

	key.name = r->name;
	if ((n = RB_FIND(rrname_tree, &rrnames, &key)) == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			fatal("calloc");
		n->name = r->name;
		RB_INSERT(rrname_tree, &rrnames, n);
	}
	if (n->peer != NULL) {
		yyerror("record \"%s\": the name belongs to %s %s",
		    r->name, n->vpn, n->peer);
		return -1;
	}
	for (i = 0; i < n->nrecs; i++) {
		if (n->recs[i]->type == LDNS_RR_TYPE_CNAME ||
		    r->type == LDNS_RR_TYPE_CNAME) {
			yyerror("record \"%s\": a CNAME cannot stand beside "
			    "other data for the same name", r->name);
			return -1;
		}
		if (n->recs[i]->type == r->type &&
		    strcmp(n->recs[i]->rdata, r->rdata) == 0) {
			yyerror("record \"%s\" %s %s is given twice",
			    r->name, tname, r->rdata);
			return -1;
		}
	}
	n->recs = reallocarray(n->recs, n->nrecs + 1, sizeof(*n->recs));
	if (n->recs == NULL)
		fatal("reallocarray");
	n->recs[n->nrecs++] = r;
	return 0;
}

/* The resolver reads records back with ldns: so must they parse here. */
static int
record_check(const char *owner, const char *tname, const char *rdata)
{
	ldns_rr		*rr = NULL;
	ldns_status	 st;
	char		*s;

	if (asprintf(&s, "%s 0 IN %s %s", owner, tname, rdata) == -1)
		fatal("asprintf");
	st = ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL);
	free(s);
	ldns_rr_free(rr);
	if (st != LDNS_STATUS_OK) {
		yyerror("record \"%s\" %s %s: %s", owner, tname, rdata,
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	return 0;
}

static int
add_record(const char *name, int64_t ttl, const char *tname)
{
	struct record_conf	*r;
	struct domain_conf	*d;
	char			 owner[DNAME_TEXT_MAX];
	char			 what[DNAME_TEXT_MAX + 32];
	char			*text;
	uint16_t		 type;

	if (dname_canon(name, owner, sizeof(owner)) == -1)
		return -1;
	if ((d = domain_find(owner)) == NULL) {
		yyerror("record \"%s\" is not inside any domain declared "
		    "before it", owner);
		return -1;
	}
	if ((type = record_type(tname)) == 0) {
		yyerror("record \"%s\": unknown or unsupported type \"%s\" "
		    "(A, AAAA, CNAME, TXT, PTR, MX or SRV)", owner, tname);
		return -1;
	}
	if (type == LDNS_RR_TYPE_CNAME && strcmp(owner, d->name) == 0) {
		yyerror("record \"%s\": a CNAME cannot be at the apex of "
		    "domain \"%s\"", owner, d->name);
		return -1;
	}
	if ((text = malloc(RDATA_TEXT_MAX)) == NULL)
		fatal("malloc");
	snprintf(what, sizeof(what), "record \"%s\" %s", owner,
	    ldns_rr_descript(type)->_name);
	if (rdata_canon(type, what, text, RDATA_TEXT_MAX) == -1) {
		free(text);
		return -1;
	}
	if (record_check(owner, tname, text) == -1) {
		free(text);
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->name = strdup(owner)) == NULL ||
	    (r->rdata = strdup(text)) == NULL)
		fatal("calloc");
	free(text);
	r->type = type;
	r->ttl = ttl;
	if (record_index(r, tname) == -1) {
		record_free(r);
		return -1;
	}
	TAILQ_INSERT_TAIL(&conf->records, r, entry);
	return 0;
}

/* Source names appear in DNS names: one label, lower case. */
static int
source_name_valid(const char *name)
{
	size_t	len = strlen(name), i;

	if (len == 0 || len >= SRC_NAME_MAX || strcmp(name, "offline") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) &&
		    name[i] != '-' && name[i] != '_')
			return 0;
	return 1;
}

/* The VPN's name as people write it, for messages. */
static const char *
vpn_name(uint32_t kind)
{
	static const char	*names[SRC_KINDS] = {
		[SRC_WIREGUARD] = "WireGuard",
		[SRC_IPSEC] = "IPsec",
		[SRC_OPENVPN] = "OpenVPN",
	};

	return names[kind];
}

/* One namespace for the names of every kind: NAME.BLOCK.SUFFIX. */
static int
add_source(enum src_kind kind, const char *name)
{
	struct source_conf	*w;
	int			 n = 0;

	if (!source_name_valid(name)) {
		yyerror("%s \"%s\": %s of lower-case letters, digits, '-' and "
		    "'_', shorter than %d and not \"offline\"",
		    src_kind_name(kind), name, kind == SRC_WIREGUARD ?
		    "an interface name" : "a name", SRC_NAME_MAX);
		return -1;
	}
	TAILQ_FOREACH(w, &conf->sources, entry) {
		if (strcmp(w->name, name) == 0) {
			yyerror("%s \"%s\" is declared twice%s",
			    src_kind_name(kind), name, w->kind == kind ? "" :
			    " (names are one for every kind)");
			return -1;
		}
		n++;
	}
	if (n >= SRC_MAX) {
		yyerror("more than %d wireguard, ipsec and openvpn blocks",
		    SRC_MAX);
		return -1;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("calloc");
	w->kind = kind;
	strlcpy(w->name, name, sizeof(w->name));
	w->interval = SRC_INTERVAL;
	TAILQ_INIT(&w->peers);
	TAILQ_INSERT_TAIL(&conf->sources, w, entry);
	cursrc = w;
	pendpeers_clear();
	return 0;
}

/* A block's peers not yet taken: an error may have left its end unread. */
static void
pendpeers_clear(void)
{
	size_t	i;

	for (i = 0; i < npendpeers; i++)
		free(pendpeers[i].peer);
	npendpeers = 0;
}

/* socket, vici, status: where the parent reads the source. */
static int
set_path(char *path)
{
	if (path[0] != '/' || strlcpy(cursrc->path, path,
	    sizeof(cursrc->path)) >= sizeof(cursrc->path)) {
		yyerror("%s \"%s\" must be an absolute path", kw_text, path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/*
 * A peer line: a WireGuard key (in base64, kept in its canonical form),
 * or an identity as the VPN gives it.
 */
static int
add_peer(const char *name, const char *key, const char *domain)
{
	struct peer_conf	*p;
	uint8_t			 wgkey[WG_KEY_LEN];
	const char		*why;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	if (strlcpy(p->display, name, sizeof(p->display)) >=
	    sizeof(p->display)) {
		yyerror("peer \"%.40s...\": a name longer than %d bytes",
		    name, PEER_DISPLAY_MAX - 1);
		goto fail;
	}
	if (slug_label(name, p->name, sizeof(p->name), &why) == -1) {
		yyerror("peer \"%s\": %s", name, why);
		goto fail;
	}
	if (cursrc->kind == SRC_WIREGUARD) {
		if (!wg_key_decode(key, wgkey)) {
			yyerror("peer \"%s\": key \"%s\" is not a base64 "
			    "WireGuard key", name, key);
			goto fail;
		}
		wg_key_encode(wgkey, p->key);
	} else if (key[0] == '\0' || strlcpy(p->key, key, sizeof(p->key)) >=
	    sizeof(p->key)) {
		yyerror("peer \"%s\": an id of 1 to %d bytes", name,
		    PEER_KEY_MAX - 1);
		goto fail;
	}
	if (domain != NULL && dname_canon(domain, p->domain,
	    sizeof(p->domain)) == -1)
		goto fail;
	pendpeers = reallocarray(pendpeers, npendpeers + 1,
	    sizeof(*pendpeers));
	if (pendpeers == NULL)
		fatal("reallocarray");
	pendpeers[npendpeers].peer = p;
	pendpeers[npendpeers].line = file->lineno;
	npendpeers++;
	return 0;
 fail:
	free(p);
	return -1;
}

static struct domain_conf *
domain_exact(const char *name)
{
	struct domain_conf	*d;

	TAILQ_FOREACH(d, &conf->domains, entry)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/*
 * Claim a DNS name for presence.  'global' names (NAME.SUFFIX) may be
 * shared by peers of different sources; every other name is unique.
 */
static int
claim_name(const char *name, const char *owner, const char *vpn, int shared,
    const char *where, int line)
{
	struct rrname	 key, *n;

	key.name = name;
	if ((n = RB_FIND(rrname_tree, &rrnames, &key)) != NULL) {
		if (n->nrecs > 0) {
			errorf_at(where, line, "%s: \"%s\" is also a record",
			    owner, name);
			return -1;
		}
		if (!shared) {
			errorf_at(where, line, "%s: \"%s\" is already the "
			    "name of %s", owner, name, n->peer);
			return -1;
		}
		return 0;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->owned = strdup(name)) == NULL ||
	    (n->peer = strdup(owner)) == NULL)
		fatal("calloc");
	n->name = n->owned;
	n->vpn = vpn;
	RB_INSERT(rrname_tree, &rrnames, n);
	return 0;
}

/*
 * NAME.SUFFIX, NAME.BLOCK.SUFFIX and, with offline names,
 * NAME.offline.SUFFIX.  Returns 0, 1 when the label is taken in the
 * source (a warning: two display names that fold to one label), or -1
 * for an error.
 */
static int
claim_peer(const struct source_conf *w, const struct peer_conf *p,
    const char *where, int line)
{
	const struct domain_conf	*d;
	struct rrname			 key, *n;
	char				 owner[PEER_DISPLAY_MAX + 64];
	char				 name[DNAME_TEXT_MAX + 96];
	const char			*suffix = p->domain[0] ? p->domain :
					    w->domain;
	const char			*vpn = vpn_name(w->kind);

	snprintf(owner, sizeof(owner), "peer \"%s\" on %s", p->display,
	    w->name);
	if ((d = domain_exact(suffix)) == NULL) {
		errorf_at(where, line, "%s: domain \"%s\" is not declared "
		    "before it", owner, suffix);
		return -1;
	}
	/* a label the source already gave: the first keeps it */
	snprintf(name, sizeof(name), "%s.%s.%s", p->name, w->name, suffix);
	key.name = name;
	if ((n = RB_FIND(rrname_tree, &rrnames, &key)) != NULL &&
	    n->nrecs == 0) {
		log_warnx("%s:%d: %s: its label \"%s\" is already %s's; the "
		    "first keeps it, this one stays unnamed", where, line,
		    owner, p->name, n->peer);
		return 1;
	}
	snprintf(name, sizeof(name), "%s.%s", p->name, suffix);
	if (claim_name(name, owner, vpn, 1, where, line) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s.%s.%s", p->name, w->name, suffix);
	if (claim_name(name, owner, vpn, 0, where, line) == -1)
		return -1;
	if (d->offline_names) {
		snprintf(name, sizeof(name), "%s.offline.%s", p->name, suffix);
		if (claim_name(name, owner, vpn, 1, where, line) == -1)
			return -1;
	}
	return 0;
}

static int
add_peer_checked(struct source_conf *w, struct peer_conf *p,
    const char *where, int line)
{
	struct peer_conf	*o;
	size_t			 n = 0;
	int			 rc;

	TAILQ_FOREACH(o, &w->peers, entry) {
		if (strcmp(o->key, p->key) == 0) {
			if (p->from_file && !o->from_file)
				return 1;	/* a "peer" line wins */
			errorf_at(where, line, "peer \"%s\": its %s is "
			    "already peer \"%s\"'s", p->display,
			    w->kind == SRC_WIREGUARD ? "key" : "id",
			    o->display);
			return -1;
		}
		n++;
	}
	if (n >= SRC_MAX_PEERS) {
		errorf_at(where, line, "%s \"%s\": more than %d named peers",
		    src_kind_name(w->kind), w->name, SRC_MAX_PEERS);
		return -1;
	}
	if ((rc = claim_peer(w, p, where, line)) != 0)
		return rc;
	TAILQ_INSERT_TAIL(&w->peers, p, entry);
	return 0;
}

static void
names_error(const char *where, int line, const char *msg)
{
	error_at(where, line, msg);
}

static int
names_add(void *arg, const char *key, const char *display,
    const char *label, const char *where, int line)
{
	struct source_conf	*w = arg;
	struct peer_conf	*p;
	int			 rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	strlcpy(p->key, key, sizeof(p->key));
	strlcpy(p->name, label, sizeof(p->name));
	strlcpy(p->display, display, sizeof(p->display));
	p->from_file = 1;
	if ((rc = add_peer_checked(w, p, where, line)) != 0)
		free(p);
	return rc == -1 ? -1 : 0;
}

/*
 * The end of a source's block: its domain and path settle, then its
 * peers, from "peer" lines first and its names file second, claim their
 * names.
 */
static void
finish_source(void)
{
	struct source_conf	*w = cursrc;
	struct domain_conf	*d;
	size_t			 i, ndomains = 0;

	cursrc = NULL;
	if (w->domain[0] == '\0') {
		TAILQ_FOREACH(d, &conf->domains, entry)
			ndomains++;
		if (ndomains != 1) {
			yyerror("%s \"%s\": say which domain its peers are "
			    "named in (domain \"...\")", src_kind_name(w->kind),
			    w->name);
			goto out;
		}
		strlcpy(w->domain, TAILQ_FIRST(&conf->domains)->name,
		    sizeof(w->domain));
	} else if (domain_exact(w->domain) == NULL) {
		yyerror("%s \"%s\": domain \"%s\" is not declared before it",
		    src_kind_name(w->kind), w->name, w->domain);
		goto out;
	}
	if (w->path[0] == '\0') {
		switch (w->kind) {
		case SRC_WIREGUARD:
			snprintf(w->path, sizeof(w->path), "%s/%s.sock",
			    WG_SOCKET_DIR, w->name);
			break;
		case SRC_IPSEC:
			strlcpy(w->path, VICI_SOCKET, sizeof(w->path));
			break;
		default:
			yyerror("openvpn \"%s\": say which status file to read "
			    "(status \"...\")", w->name);
			goto out;
		}
	}
	for (i = 0; i < npendpeers; i++) {
		if (add_peer_checked(w, pendpeers[i].peer, file->name,
		    pendpeers[i].line) != 0)
			free(pendpeers[i].peer);
		pendpeers[i].peer = NULL;
	}
	if (w->namesfile[0] != '\0' && wgnames_read(w->namesfile, names_add,
	    names_error, w) == -1)
		yyerror("wireguard \"%s\": names from \"%s\": %s", w->name,
		    w->namesfile, strerror(errno));
 out:
	pendpeers_clear();
}

struct vpndnsd_conf *
parse_config(const char *filename)
{
	int	errors;

	lasterror[0] = '\0';
	if ((conf = config_new()) == NULL)
		fatal("config_new");
	RB_INIT(&rrnames);
	curdomain = NULL;
	expanding = 0;
	pushback_index = 0;
	nbraces = 0;
	memset(tok_text, 0, sizeof(tok_text));

	file = NULL;
	if ((file = pushfile(filename, 1)) == NULL) {
		snprintf(lasterror, sizeof(lasterror), "%s: %s", filename,
		    strerror(errno));
		config_free(conf);
		return NULL;
	}
	topfile = file;

	yyparse();
	while (file != topfile)
		popfile();
	errors = file->errors;
	popfile();
	symclear();
	rrnames_clear();
	rdata_clear();
	pendpeers_clear();
	free(pendpeers);
	pendpeers = NULL;
	npendpeers = 0;
	free(plist);
	plist = NULL;
	nplist = 0;
	explicit_bzero(tsigkeys, sizeof(tsigkeys));
	ntsigkeys = 0;
	nlist_clear();
	rule_clear();

	if (errors) {
		config_free(conf);
		return NULL;
	}
	if (TAILQ_EMPTY(&conf->listens)) {
		log_warnx("%s: no \"listen on\" line: nothing to answer on",
		    filename);
		snprintf(lasterror, sizeof(lasterror),
		    "%s: no \"listen on\" line", filename);
		config_free(conf);
		return NULL;
	}
	if (!conf->acl_set) {
		struct prefix	p;

		/* default: loopback only */
		if (prefix_parse("127.0.0.0/8", &p) == -1 ||
		    prefixlist_add(&conf->lists[PLIST_ALLOW], &p) == -1 ||
		    prefix_parse("::1", &p) == -1 ||
		    prefixlist_add(&conf->lists[PLIST_ALLOW], &p) == -1)
			fatal("default acl");
	}
	return conf;
}
