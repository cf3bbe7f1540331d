/*
 * The resolver: local zones, presence names, match rules, blocklists,
 * forwarder groups with their caches and upstream queries.
 */
#ifndef VPNDNSD_RESOLVER_H
#define VPNDNSD_RESOLVER_H

#include <ldns/ldns.h>

#include "vpndnsd.h"

#define UQ_MAX_INFLIGHT		UPSTREAM_INFLIGHT	/* a socket each */
#define RESOLVER_NOFILE		(2 * UQ_MAX_INFLIGHT)
#define LOCAL_CACHE_SIZE	(4 * 1024 * 1024)
#define LOCAL_CACHE_TTL		1	/* seconds */
#define TSIG_FUDGE		300	/* seconds a signature's time may be off */

struct localdata;

/*
 * A presence record of a zone transfer, zeroed where unused so that
 * memcmp sorts and compares them (no padding the compiler could leave).
 */
#define PREC_NAME		0	/* NAME.SUFFIX */
#define PREC_SOURCE		1	/* NAME.BLOCK.SUFFIX */
#define PREC_OFFLINE		2	/* NAME.offline.SUFFIX */
#define PREC_PTR		3	/* the address's reverse name */
struct prec {
	uint8_t		labellen;
	uint8_t		label[63];
	char		source[SRC_NAME_MAX];
	uint8_t		kind;
	uint8_t		pad;
	uint16_t	zone;		/* PTR: the domain of NAME.SUFFIX */
	struct peer_addr addr;
};

struct precs {
	struct prec	*v;
	size_t		 n;
	size_t		 cap;
};
struct metrics;
struct presence;
struct imsg;
struct group;
struct policy;
struct suffix;
struct blocklist;

struct blocklist_stats {
	uint64_t	names;
	uint64_t	lines;
	uint64_t	bad;
	uint64_t	bytes;
	uint64_t	load_ms;
	uint64_t	hits;
	uint64_t	loads;
	uint64_t	failures;
};

struct rule {
	uint32_t	 action;	/* enum match_action */
	uint32_t	 line;
	uint32_t	 index;		/* 1, 2, ... in file order */
	struct prefix	*from;
	size_t		 nfrom;
	struct suffix	*query;
	size_t		 nquery;
	struct blocklist **block;
	size_t		 nblock;
	struct group	*group;		/* MATCH_FORWARD */
	char		 groupname[FWD_NAME_MAX];
};

void	resolver_main(int, int, const char *, const char *)
	    __attribute__((__noreturn__));
struct verdict;
struct imsgev;

/* reply.c: answers, copies and control replies to the frontend */
struct reply_stats {
	uint64_t	queries;	/* answered from the frontend's copies */
	uint64_t	noerror;
	uint64_t	nxdomain;
	uint64_t	refused;
	uint64_t	servfail;
	uint64_t	truncated;
	uint64_t	dropped;	/* the channel full */
};
void			 reply_init(struct imsgev *);
void			 reply_set_log(int);
void			 reply_totals(struct reply_stats *);
void			 reply_batch(int);
void			 reply_flush(void);
void			 reply_lost(void);
void			 reply_xfr_begin(void);
ldns_pkt		*reply_new(const struct query_msg *);
void			 reply_answer(const struct query_msg *,
			    const uint8_t *, size_t, const struct verdict *);
void			 reply_answer_ede(const struct query_msg *,
			    const uint8_t *, size_t, const struct verdict *,
			    uint16_t, const char *);
void			 reply_part(const struct query_msg *, const uint8_t *,
			    size_t);
void			 reply_copy(struct local_copy *, const uint8_t *,
			    const uint8_t *);
void			 reply_copies_void(void);
void			 reply_local_counts(const struct imsg *);
void			 reply_ctl(uint16_t, uint32_t, const struct iovec *,
			    int);
void			 reply_ctl_compose(uint16_t, uint32_t, const void *,
			    size_t);
int			 reply_ctl_line(const char *, void *);
void			 reply_metrics(struct metrics *);

/* localzone.c */
struct localdata	*localdata_new(void);
void			 localdata_free(struct localdata *);
void			 localdata_add_domain(struct localdata *,
			    const struct domain_msg *);
void			 localdata_add_record(struct localdata *,
			    const struct record_msg *, const char *,
			    const char *);
void			 localdata_finish(struct localdata *);
size_t			 localdata_nrecords(const struct localdata *);
size_t			 localdata_ndomains(const struct localdata *);
int			 localdata_answer(const struct localdata *,
			    const uint8_t *, size_t, uint16_t, ldns_pkt *);
int			 localdata_dump(const struct localdata *, int,
			    int (*)(const char *, void *), void *);
int			 localdata_covers(const struct localdata *,
			    const uint8_t *, size_t);
int			 localdata_has_name(const struct localdata *,
			    const uint8_t *, size_t);
void			 localdata_nodata(const struct localdata *,
			    const uint8_t *, size_t, ldns_pkt *);
void			 localdata_add_ent(struct localdata *, const uint8_t *,
			    size_t);
const uint8_t		*localdata_apex(const struct localdata *, size_t,
			    size_t *);
int			 localdata_zone_index(const struct localdata *,
			    const uint8_t *, size_t);
void			 localdata_set_serial(struct localdata *, size_t,
			    uint32_t);
void			 localdata_zone(const struct localdata *, size_t,
			    ldns_rr_list *);
const ldns_rr		*localdata_zone_soa(const struct localdata *, size_t);

/* presence.c */
struct presence		*presence_new(void);
void			 presence_begin(struct presence *);
void			 presence_add_domain(struct presence *,
			    const struct domain_msg *);
void			 presence_add_source(struct presence *,
			    const struct source_msg *);
void			 presence_add_name(struct presence *,
			    const struct peername_msg *);
void			 presence_end(struct presence *,
			    const struct localdata *);
void			 presence_ents(const struct presence *,
			    struct localdata *);
int			 presence_peers(struct presence *,
			    const struct imsg *, const struct localdata *,
			    time_t);
int			 presence_answer(const struct presence *,
			    const struct localdata *, const uint8_t *, size_t,
			    uint16_t, time_t, ldns_pkt *);
int			 presence_dump(const struct presence *, time_t, int,
			    int (*)(const char *, void *), void *);
void			 presence_metrics(const struct presence *, time_t,
			    struct metrics *);
size_t			 presence_npeers(const struct presence *);
void			 presence_records(const struct presence *,
			    const uint8_t *, size_t, time_t, struct precs *);
ldns_rr			*presence_rr(const struct presence *,
			    const uint8_t *, size_t, const struct prec *);
void			 presence_owners(const struct presence *,
			    const uint8_t *, size_t, struct precs *);
void			 precs_push(struct precs *, const struct prec *);
uint64_t		 presence_digest(const struct presence *,
			    const uint8_t *, size_t, time_t);

/* update.c */
void			 update_reconf(const struct imsg *);
void			 update_reconf_end(const struct presence *);
int			 update_wanted(const uint8_t *, size_t);
void			 update_changes(const uint8_t *, size_t,
			    const struct precs *, const struct precs *, size_t);
void			 update_metrics(struct metrics *);

/* tsig.c */
int			 serial_newer(uint32_t, uint32_t);
ldns_rdf		*tsig_sign(ldns_pkt *, const struct tsig_conf *,
			    const ldns_rdf *, int);
int			 tsig_ours(const ldns_rr *, const struct tsig_conf *,
			    time_t);
int			 tsig_answer_ok(ldns_pkt *, const uint8_t *, size_t,
			    const struct tsig_conf *, const ldns_rdf *);

/* xfr.c */
void			 xfr_metrics(struct metrics *);
void			 xfr_init(void);
void			 xfr_reconf(const struct imsg *);
int			 xfr_serials(struct localdata *,
			    const struct presence *, int);
void			 xfr_query(const struct query_msg *, const uint8_t *,
			    const uint8_t *, size_t, const struct localdata *,
			    const struct presence *);

/* policy.c */
struct policy		*policy_new(void);
void			 policy_free(struct policy *);
struct rule		*policy_add(struct policy *, const struct imsg *);
const struct rule	*policy_match(const struct policy *,
			    const union sockunion *, const uint8_t *, size_t);

/* blocklists.c */
struct blocklist	*blocklist_get(const char *);
const char		*blocklist_name(const struct blocklist *);
void			 blocklists_reconf_begin(void);
void			 blocklists_reconf_list(const struct imsg *);
void			 blocklists_reconf_allow(const struct imsg *);
void			 blocklists_reconf_file(const struct imsg *);
void			 blocklists_reconf_end(void);
const uint8_t		*blocklist_match(struct blocklist *, const uint8_t *,
			    size_t, size_t *);
uint32_t		 blocklist_answer(const struct blocklist *,
			    struct bl_addr *);
int			 blocklists_dump(int, int (*)(const char *, void *),
			    void *);
void			 blocklists_metrics(struct metrics *);

/* upstream.c */
void			 upstream_init(void);
void			 upstream_limit(size_t);
time_t			 upstream_now(void);
struct group		*upstream_group(const char *);
const char		*upstream_group_name(const struct group *);
void			 upstream_reconf_begin(void);
void			 upstream_reconf_group(const struct forwarder_msg *,
			    int);
void			 upstream_reconf_end(void);
void			 upstream_query(struct group *, const struct query_msg *,
			    const uint8_t *);
int			 upstream_dump(int, int (*)(const char *, void *), void *);
void			 upstream_metrics(struct metrics *);
void			 upstream_set_inflight(size_t);
void			 upstream_totals(struct resolver_stats *);
size_t			 upstream_flush(const char *, const uint8_t *, size_t);
int			 upstream_cached(struct group *,
			    const struct query_msg *, const uint8_t *,
			    uint32_t *);

#endif
