/* The parent process: configuration, sockets, children. */
#ifndef VPNDNSD_PARENT_H
#define VPNDNSD_PARENT_H

#include <sys/uio.h>

#include <stdio.h>

#include "vpndnsd.h"

/* parse.y */
struct vpndnsd_conf	*parse_config(const char *);
const char		*parse_lasterror(void);
int			 forwarder_has_tls(const struct forwarder_conf *);

/* wgnames.c */
typedef void	(*wgnames_err_fn)(const char *, int, const char *);
/* add(arg, key, display name, its label, file, line) */
typedef int	(*wgnames_add_fn)(void *, const uint8_t *, const char *,
		    const char *, const char *, int);
int		 wgnames_read(const char *, wgnames_add_fn, wgnames_err_fn,
		    void *);

/* wgblank.c */
void			 wg_blank_uapi_line(char *, size_t);
struct nlmsghdr;
int			 wg_blank_nlmsg(struct nlmsghdr *, size_t);

/* wgrelay.c */
void			 wgrelay_reconf(const struct vpndnsd_conf *);
void			 wgrelay_poll(const char *);

/* printconf.c: TSIG secrets print as SECRET_MASK */
#define SECRET_MASK		"********"
void			 print_config(FILE *, const struct vpndnsd_conf *);

/* parent.c */
void			 parent_main(int, int, const char *, const char *)
			    __attribute__((__noreturn__));
void			 parent_to_wgwatch(uint16_t, const struct iovec *, int);

#endif
