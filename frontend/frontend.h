/* The frontend: client sockets, the control socket, nothing privileged. */
#ifndef VPNDNSD_FRONTEND_H
#define VPNDNSD_FRONTEND_H

#include "vpndnsd.h"
#include "imsgev.h"

void	frontend_main(int, int, const char *, const char *)
	    __attribute__((__noreturn__));
int	frontend_compose_parent(uint16_t, uint32_t, const void *, size_t);
int	frontend_compose_resolver(uint16_t, uint32_t, const void *, size_t);
void	frontend_set_verbose(int);
void	frontend_ctl_info(struct ctl_info *);
void	frontend_ctl_stats(struct frontend_stats *);
struct metrics;
void	frontend_metrics(struct metrics *);
int	frontend_allowed(const union sockunion *);
void	frontend_ctl_lookup(struct ctl_lookup *);

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
