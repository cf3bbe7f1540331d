/* wgwatch: polls WireGuard through the parent, keeps the peer table. */
#ifndef VPNDNSD_WGWATCH_H
#define VPNDNSD_WGWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

#define WG_LINE_MAX	256	/* a UAPI line; the longest real one is ~80 */

struct wgpeer {
	uint8_t		key[WG_KEY_LEN];
	int64_t		handshake;
	uint64_t	rx_bytes;
	int64_t		rx_grew;	/* the last poll that saw rx_bytes grow */
	int64_t		told;		/* the activity the resolver knows */
	uint16_t	keepalive;
	uint16_t	naddrs;
	struct wg_addr	addrs[WG_MAX_ADDRS];
};

/* Peers sorted by key once finished; the memory is kept between polls. */
struct wgtable {
	struct wgpeer	*peers;
	size_t		 n;
	size_t		 cap;
};

/*
 * The thresholds that apply to an interface's peers: its domain's, and
 * the exceptions (peers named in other domains), sorted by key.
 */
struct wgthreshold {
	uint8_t		key[WG_KEY_LEN];
	uint32_t	threshold;
};

struct wgthresholds {
	uint32_t		 dflt;
	struct wgthreshold	*v;
	size_t			 n;
	size_t			 cap;
};

/* A poll, as the rule for what the resolver must hear sees it. */
struct wgpoll {
	int64_t		 now;		/* Unix time the poll was asked for */
	uint32_t	 interval;
	const struct wgthresholds *thresholds;
};

struct wguapi {
	char		 line[WG_LINE_MAX];
	size_t		 len;
	int		 done;		/* the empty line that ends a reply */
	struct wgpeer	*cur;
	char		 err[128];
};

struct wgnl {
	struct wgpeer	*cur;
	char		 err[128];
};

void	wgwatch_main(int, int, const char *, const char *)
	    __attribute__((__noreturn__));

/* wgtable.c */
void		 wgtable_clear(struct wgtable *);
void		 wgtable_free(struct wgtable *);
struct wgpeer	*wgtable_add(struct wgtable *, const uint8_t *);
void		 wgpeer_add_addr(struct wgpeer *, int, const void *,
		    unsigned int);
int		 wgtable_finish(struct wgtable *);
int		 wgpeer_cmp(const void *, const void *);
size_t		 wgtable_diff(struct wgtable *, struct wgtable *,
		    const struct wgpoll *,
		    void (*)(const struct wgpeer *, int, void *), void *);
void		 wgthresholds_clear(struct wgthresholds *, uint32_t);
void		 wgthresholds_add(struct wgthresholds *, const uint8_t *,
		    uint32_t);
void		 wgthresholds_finish(struct wgthresholds *);
void		 wgthresholds_free(struct wgthresholds *);

/* wguapi.c */
void	wguapi_reset(struct wguapi *);
int	wguapi_feed(struct wguapi *, struct wgtable *, const uint8_t *,
	    size_t);

/* wgnetlink.c */
void	wgnl_reset(struct wgnl *);
int	wgnl_feed(struct wgnl *, struct wgtable *, const uint8_t *, size_t);

#endif
