/*
 * wgwatch: reads every presence source through the parent and keeps one
 * peer table for them all.
 */
#ifndef VPNDNSD_WGWATCH_H
#define VPNDNSD_WGWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

#define WG_LINE_MAX	256	/* a UAPI line; the longest real one is ~80 */

/* A peer as one reading of its source found it. */
struct wgpeer {
	char		key[PEER_KEY_MAX];	/* NUL-padded: compared whole */
	int64_t		handshake;	/* a session's: when it began */
	uint64_t	rx_bytes;
	int64_t		rx_grew;	/* the last poll that saw rx_bytes grow */
	int64_t		told;		/* the activity the resolver knows */
	uint8_t		connected;	/* a session source lists it */
	uint8_t		missed;		/* readings it was missing from */
	uint16_t	keepalive;
	uint16_t	naddrs;
	struct peer_addr addrs[PEER_MAX_ADDRS];
};

/* Peers sorted by key once finished; the memory is kept between polls. */
struct wgtable {
	struct wgpeer	*peers;
	size_t		 n;
	size_t		 cap;
};

/*
 * The thresholds that apply to a source's peers: its domain's, and
 * the exceptions (peers named in other domains), sorted by key.
 */
struct wgthreshold {
	char		key[PEER_KEY_MAX];
	uint32_t	threshold;
};

struct wgthresholds {
	uint32_t		 dflt;
	struct wgthreshold	*v;
	size_t			 n;
	size_t			 cap;
};

/* A reading, as the rule for what the resolver must hear sees it. */
struct wgpoll {
	int64_t		 now;		/* Unix time the poll was asked for */
	uint32_t	 interval;
	int		 session;	/* present while connected */
	const struct wgthresholds *thresholds;
};

/*
 * A source's parser: one file each (wguapi.c, wgnetlink.c, vici.c,
 * ovpnstatus.c) behind this interface.  wgwatch.c hands it the bytes
 * the parent relays, as they come, and keeps its state ('size' bytes,
 * zeroed, one per source and format).
 *  reset	the reply, or the connection, starts over
 *  feed	bytes: the peers they name go into 'next' (or the parser's
 *		own state, for an event stream); -1 when the input is
 *		spoilt (err says why)
 *  take	the input so far is a reading: 1 when 'next' now holds every
 *		peer the source has, 0 when there is nothing new to say (a
 *		status file caught mid-rewrite: the last reading stands; the
 *		events before a list ended), -1 when spoilt
 *  release	frees what the state holds (NULL: nothing)
 *  display	the name the source itself gives the peer of a key (an
 *		identity's user, a common name); NULL: none
 *  session	its peers are present while connected (not by activity)
 *  grace	readings a connected peer may be missing from before it
 *		counts as gone (a status file is not read atomically)
 */
struct parser {
	size_t		 size;
	int		 session;
	int		 grace;
	void		(*reset)(void *);
	int		(*feed)(void *, struct wgtable *, const uint8_t *,
			    size_t);
	int		(*take)(void *, struct wgtable *);
	const char	*(*err)(const void *);
	void		(*release)(void *);
	void		(*display)(const char *, char *, size_t);
};

extern const struct parser	uapi_parser, netlink_parser, vici_parser,
				status_parser;

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
struct wgpeer	*wgtable_add(struct wgtable *, const char *, size_t);
void		 wgpeer_add_addr(struct wgpeer *, int, const void *,
		    unsigned int);
int		 wgtable_finish(struct wgtable *, int);
int		 wgpeer_cmp(const void *, const void *);
int		 wgtable_keep_ended(struct wgtable *, struct wgtable *,
		    int64_t, int);
size_t		 wgtable_diff(struct wgtable *, struct wgtable *,
		    const struct wgpoll *,
		    void (*)(const struct wgpeer *, int, void *), void *);
void		 wgthresholds_clear(struct wgthresholds *, uint32_t);
void		 wgthresholds_add(struct wgthresholds *, const char *,
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
