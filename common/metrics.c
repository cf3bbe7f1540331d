/*
 * Prometheus text exposition: "# HELP" and "# TYPE" before a family,
 * then "name{labels} value" lines.  Label values come from the
 * configuration (group and list names), so they are escaped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static void
metric_emit(struct metrics *m, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
metric_emit(struct metrics *m, const char *fmt, ...)
{
	char	line[METRICS_LINE_MAX];
	va_list	ap;
	int	n;

	if (m->error)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a cut line would be a wrong figure: leave it out */
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (m->line(line, m->arg) == -1)
		m->error = 1;
}

/* A family: its help text and type (counter, gauge, histogram). */
void
metric_help(struct metrics *m, const char *name, const char *type,
    const char *help)
{
	metric_emit(m, "# HELP %s %s", name, help);
	metric_emit(m, "# TYPE %s %s", name, type);
}

/* One sample; 'labels' is "" or 'key="value",...' from metric_label(). */
void
metric_u64(struct metrics *m, const char *name, const char *labels,
    uint64_t v)
{
	metric_emit(m, "%s%s%s%s %llu", name, *labels ? "{" : "", labels,
	    *labels ? "}" : "", (unsigned long long)v);
}

void
metric_f(struct metrics *m, const char *name, const char *labels, double v)
{
	metric_emit(m, "%s%s%s%s %.9g", name, *labels ? "{" : "", labels,
	    *labels ? "}" : "", v);
}

/*
 * Append key="value" to 'buf', the value escaped as the format wants
 * (backslash, double quote, newline).  Too long: the label is left out.
 */
void
metric_label(char *buf, size_t len, const char *key, const char *value)
{
	char	v[256];
	size_t	i, o = 0;
	int	n;

	for (i = 0; value[i] != '\0' && o + 2 < sizeof(v); i++) {
		if (value[i] == '\\' || value[i] == '"' || value[i] == '\n') {
			v[o++] = '\\';
			v[o++] = value[i] == '\n' ? 'n' : value[i];
		} else
			v[o++] = value[i];
	}
	v[o] = '\0';
	if (value[i] != '\0')
		return;
	i = strlen(buf);
	n = snprintf(buf + i, len - i, "%s%s=\"%s\"", i > 0 ? "," : "", key,
	    v);
	if (n < 0 || (size_t)n >= len - i)
		buf[i] = '\0';
}

/*
 * Each family of 'f' over every item of a table, one family after the
 * other as the format wants: the control path, where an item lookup that
 * walks a list is cheap enough.
 */
void
metric_table(struct metrics *m, const struct metric_field *f, size_t nf,
    metric_item item, void *arg)
{
	char		 labels[METRICS_LINE_MAX];
	const void	*st;
	size_t		 i, k;

	for (k = 0; k < nf; k++) {
		metric_help(m, f[k].name, f[k].type, f[k].help);
		for (i = 0; labels[0] = '\0',
		    (st = item(i, labels, sizeof(labels), arg)) != NULL; i++)
			metric_u64(m, f[k].name, labels, *(const uint64_t *)
			    ((const char *)st + f[k].off));
	}
}

static const double	latency_le[METRIC_LATENCY_BUCKETS] = { 0.0001,
			    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
			    0.05, 0.1, 0.25, 0.5, 1, 2.5 };

/* 'n' observations of 't' seconds. */
void
metric_latency_add(struct metric_latency *h, double t, uint64_t n)
{
	size_t	i;

	for (i = 0; i < METRIC_LATENCY_BUCKETS && t > latency_le[i]; i++)
		;
	h->bucket[i] += n;
	h->count += n;
	h->sum += t * n;
}

void
metric_latency_merge(struct metric_latency *h, const struct metric_latency *o)
{
	size_t	i;

	for (i = 0; i <= METRIC_LATENCY_BUCKETS; i++)
		h->bucket[i] += o->bucket[i];
	h->count += o->count;
	h->sum += o->sum;
}

/* The histogram's lines, cumulative as Prometheus has them; no help. */
void
metric_latency(struct metrics *m, const char *name,
    const struct metric_latency *h)
{
	char		l[METRICS_LINE_MAX], le[32], n[128];
	uint64_t	cum = 0;
	size_t		i;

	for (i = 0; i <= METRIC_LATENCY_BUCKETS; i++) {
		cum += h->bucket[i];
		if (i < METRIC_LATENCY_BUCKETS)
			snprintf(le, sizeof(le), "%g", latency_le[i]);
		l[0] = '\0';
		metric_label(l, sizeof(l), "le",
		    i < METRIC_LATENCY_BUCKETS ? le : "+Inf");
		snprintf(n, sizeof(n), "%s_bucket", name);
		metric_u64(m, n, l, cum);
	}
	snprintf(n, sizeof(n), "%s_sum", name);
	metric_f(m, n, "", h->sum);
	snprintf(n, sizeof(n), "%s_count", name);
	metric_u64(m, n, "", h->count);
}
