/*
 * Prometheus text exposition (format 0.0.4), a line at a time to a
 * callback: the frontend, the resolver and wgwatch each write their own
 * figures, and the frontend joins them for vpndnsctl or GET /metrics.
 */
#ifndef VPNDNSD_METRICS_H
#define VPNDNSD_METRICS_H

#include <stdint.h>

#define METRICS_LINE_MAX	512

struct metrics {
	int	(*line)(const char *, void *);
	void	 *arg;
	int	  error;	/* a line was refused: the rest is skipped */
};

void	metric_help(struct metrics *, const char *, const char *,
	    const char *);
void	metric_u64(struct metrics *, const char *, const char *, uint64_t);
void	metric_f(struct metrics *, const char *, const char *, double);
void	metric_label(char *, size_t, const char *, const char *);

#endif
