/* The parent process: configuration, sockets, children. */
#ifndef VPNDNSD_PARENT_H
#define VPNDNSD_PARENT_H

#include <stdio.h>

#include "vpndnsd.h"

/* parse.y */
struct vpndnsd_conf	*parse_config(const char *);
const char		*parse_lasterror(void);

/* printconf.c */
void			 print_config(FILE *, const struct vpndnsd_conf *);

/* parent.c */
void			 parent_main(int, int, const char *, const char *)
			    __attribute__((__noreturn__));

#endif
