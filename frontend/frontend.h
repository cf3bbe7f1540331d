/* The frontend: client sockets, the control socket, nothing privileged. */
#ifndef VPNDNSD_FRONTEND_H
#define VPNDNSD_FRONTEND_H

#include "vpndnsd.h"
#include "imsgev.h"

void	frontend_main(int, int, const char *, const char *)
	    __attribute__((__noreturn__));

/*
 * Beneath every module of the frontend (frontend.c dispatches; control.c
 * and http.c serve their sockets): the channels, who may ask, the
 * figures.
 */
/* chan.c: to the parent and the resolver */
struct imsgev	*chan_parent(void);
struct imsgev	*chan_resolver(void);
void		 chan_open_parent(int, void (*)(int, short, void *));
void		 chan_open_resolver(int, void (*)(int, short, void *));
int		 chan_to_parent(uint16_t, uint32_t, const void *, size_t);
int		 chan_to_resolver(uint16_t, uint32_t, const void *, size_t);
int		 chan_query(uint16_t, const struct iovec *, int);
void		 chan_flush_resolver(void);
void		 chan_count_copy(int, int);
void		 chan_count_latency(double, uint64_t);

/* acl.c: allow from and the other prefix lists, rate-limit */
struct ratelimit;
void			 acl_reconf_begin(void);
void			 acl_reconf_prefix(const struct imsg *);
void			 acl_reconf_end(const struct reconf_main *);
int			 acl_match(int, const union sockunion *);
int			 acl_ratelimit(const union sockunion *, uint32_t);
const struct ratelimit	*acl_ratelimiter(void);
void			 acl_lookup(struct ctl_lookup *);

/* stats.c: the frontend's figures */
struct metrics;
extern struct frontend_stats	fe_stats;
void	stats_startup(const struct imsg *);
void	stats_ctl_info(struct ctl_info *);
void	stats_metrics(struct metrics *);

/* copies.c: local answers from the resolver */
void		 copies_init(void);
void		 copies_store(const struct local_copy *, const uint8_t *,
		    const uint8_t *);
const uint8_t	*copies_find(const uint8_t *, size_t, time_t, size_t *);
void		 copies_flush(void);

/* control.c */
void	control_init(int);
void	control_relay(const struct imsg *);

/* http.c: GET /metrics; its requests to the resolver carry this bit */
#define HTTP_PEERID		0x80000000U
void	http_init(int);
void	http_relay(const struct imsg *);

#endif
