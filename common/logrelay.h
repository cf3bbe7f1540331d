/* A child's log lines, relayed by the parent (log.h). */
#ifndef VPNDNSD_LOGRELAY_H
#define VPNDNSD_LOGRELAY_H

#include "imsgev.h"

/* in a child: its channel's descriptor at start, then the channel */
void	logrelay_init(int);
void	logrelay_start(struct imsgev *);
/* in the parent: a child's IMSG_LOG, and what a dead one left unread */
void	logrelay_recv(const struct imsg *, const char *);
void	logrelay_drain(struct imsgbuf *, const char *);

#endif
