/* An imsg channel driven by libevent. */
#ifndef VPNDNSD_IMSGEV_H
#define VPNDNSD_IMSGEV_H

#include <event.h>

#include "imsg.h"

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	void		(*handler)(int, short, void *);
	void		*data;
	short		 events;	/* what ev is armed for */
	int		 rpaused;	/* not read: output must drain first */
};

void	imsgev_init(struct imsgev *, int, int, size_t,
	    void (*)(int, short, void *), void *);
void	imsgev_update(struct imsgev *);
int	imsgev_compose(struct imsgev *, uint16_t, uint32_t, int,
	    const void *, size_t);
int	imsgev_composev(struct imsgev *, uint16_t, uint32_t, int,
	    const struct iovec *, int);
int	imsgev_io(struct imsgev *, short);
int	imsgev_congested(const struct imsgev *);
void	imsgev_close(struct imsgev *);
void	imsgev_heartbeat(struct imsgev *);

#endif
