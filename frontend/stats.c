/*
 * The frontend's figures: its counters, which every module of it counts
 * into, what it was told at start-up, and the Prometheus text of them.
 */
#include <sys/types.h>

#include <stddef.h>
#include <string.h>

#include "dnstap.h"
#include "frontend.h"
#include "log.h"
#include "metrics.h"

struct frontend_stats	fe_stats;
static struct startup_msg startup;

void
stats_startup(const struct imsg *imsg)
{
	if (imsg->len != sizeof(startup))
		fatalx("bad IMSG_STARTUP");
	memcpy(&startup, imsg->data, sizeof(startup));
	startup.conffile[sizeof(startup.conffile) - 1] = '\0';
}

void
stats_ctl_info(struct ctl_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	strlcpy(ci->version, VPNDNSD_VERSION, sizeof(ci->version));
	strlcpy(ci->conffile, startup.conffile, sizeof(ci->conffile));
	ci->started = startup.started;
	memcpy(ci->pid, startup.pid, sizeof(ci->pid));
}

/* The frontend's figures for Prometheus: its counters, family by family. */
void
stats_metrics(struct metrics *m)
{
	const struct stat_field	*f;

	for (f = frontend_stat_fields; f->field != NULL; f++) {
		if (f->type != NULL)
			metric_help(m, f->name, f->type, f->help);
		metric_u64(m, f->name, f->labels, *(const uint64_t *)
		    ((const char *)&fe_stats + f->off));
	}
	metric_help(m, "vpndnsd_start_time_seconds", "gauge",
	    "When the daemon started, in Unix time: a child that dies "
	    "ends it, so a restart shows here.");
	metric_u64(m, "vpndnsd_start_time_seconds", "", startup.started);
	dnstap_metrics(m);
}
