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

/* A family of uint64_t figures at 'off' in each item's structure of them. */
struct metric_field {
	const char	*name, *type, *help;
	size_t		 off;
};

/*
 * The i-th item of a table: its labels into the buffer (empty on entry)
 * and its structure of figures, or NULL past the last item.
 */
typedef const void *(*metric_item)(size_t, char *, size_t, void *);

void	metric_table(struct metrics *, const struct metric_field *, size_t,
	    metric_item, void *);

/* A latency histogram with fixed buckets, from 100 us to 2.5 s. */
#define METRIC_LATENCY_BUCKETS	14
struct metric_latency {
	uint64_t	bucket[METRIC_LATENCY_BUCKETS + 1];	/* + over */
	uint64_t	count;
	double		sum;
};

void	metric_latency_add(struct metric_latency *, double, uint64_t);
void	metric_latency_merge(struct metric_latency *,
	    const struct metric_latency *);
void	metric_latency(struct metrics *, const char *,
	    const struct metric_latency *);

#endif
