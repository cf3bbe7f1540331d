/*
 * The frontend's figures: its counters, which every module of it counts
 * into, what it was told at start-up, and the Prometheus text of them.
 */
#include <sys/types.h>

#include <stddef.h>
#include <string.h>

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
	static const struct {
		const char	*name, *type, *help, *labels;
		size_t		 off;
	} fm[] = {
#define FS(f)	offsetof(struct frontend_stats, f)
		{ "vpndnsd_queries_total", "counter",
		    "Queries read, by transport.", "transport=\"udp\"",
		    FS(udp_queries) },
		{ "vpndnsd_queries_total", NULL, NULL, "transport=\"tcp\"",
		    FS(tcp_queries) },
		{ "vpndnsd_frontend_replies_total", "counter",
		    "Replies the frontend wrote itself, by rcode.",
		    "rcode=\"FORMERR\"", FS(formerr) },
		{ "vpndnsd_frontend_replies_total", NULL, NULL,
		    "rcode=\"NOTIMP\"", FS(notimp) },
		{ "vpndnsd_frontend_replies_total", NULL, NULL,
		    "rcode=\"BADVERS\"", FS(badvers) },
		{ "vpndnsd_frontend_replies_total", NULL, NULL,
		    "rcode=\"REFUSED\"", FS(refused_acl) },
		{ "vpndnsd_dropped_total", "counter",
		    "Queries dropped unanswered: not queries, cut, or no room.",
		    "", FS(dropped) },
		{ "vpndnsd_proxy_headers_total", "counter",
		    "PROXY v2 headers from trusted proxies, by outcome.",
		    "result=\"taken\"", FS(proxied) },
		{ "vpndnsd_proxy_headers_total", NULL, NULL,
		    "result=\"refused\"", FS(proxy_refused) },
		{ "vpndnsd_ecs_clients_total", "counter",
		    "Queries whose client a trusted sender's ECS named.", "",
		    FS(ecs_clients) },
		{ "vpndnsd_ratelimited_total", "counter",
		    "UDP queries over rate-limit, by what they got.",
		    "action=\"dropped\"", FS(rrl_dropped) },
		{ "vpndnsd_ratelimited_total", NULL, NULL,
		    "action=\"truncated\"", FS(rrl_slipped) },
		{ "vpndnsd_tcp_connections_total", "counter",
		    "TCP connections accepted.", "", FS(tcp_connections) },
		{ "vpndnsd_tcp_refused_total", "counter",
		    "TCP connections refused by max-connections or "
		    "max-per-client.", "", FS(tcp_refused) },
		{ "vpndnsd_tcp_too_slow_total", "counter",
		    "TCP connections closed by message-timeout.", "",
		    FS(tcp_slow) },
		{ "vpndnsd_tcp_closed_total", "counter",
		    "TCP connections the frontend closed, by why: an answer "
		    "lost to overload, answers not read, idle when the table "
		    "was full.", "reason=\"lost-answer\"", FS(tcp_lost) },
		{ "vpndnsd_tcp_closed_total", NULL, NULL,
		    "reason=\"unread\"", FS(tcp_unread) },
		{ "vpndnsd_tcp_closed_total", NULL, NULL,
		    "reason=\"evicted\"", FS(tcp_evicted) },
		{ "vpndnsd_frontend_answers_total", "counter",
		    "Answers the resolver returned to the frontend.", "",
		    FS(answers) },
		{ "vpndnsd_frontend_copied_total", "counter",
		    "Local answers the frontend made from the resolver's "
		    "copies.", "", FS(copied) },
#undef FS
	};
	size_t	i;

	for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++) {
		if (fm[i].type != NULL)
			metric_help(m, fm[i].name, fm[i].type, fm[i].help);
		metric_u64(m, fm[i].name, fm[i].labels, *(const uint64_t *)
		    ((const char *)&fe_stats + fm[i].off));
	}
	metric_help(m, "vpndnsd_tcp_connections_open", "gauge",
	    "TCP connections open now.");
	metric_u64(m, "vpndnsd_tcp_connections_open", "", fe_stats.tcp_open);
	metric_help(m, "vpndnsd_start_time_seconds", "gauge",
	    "When the daemon started, in Unix time: a child that dies "
	    "ends it, so a restart shows here.");
	metric_u64(m, "vpndnsd_start_time_seconds", "", startup.started);
}

