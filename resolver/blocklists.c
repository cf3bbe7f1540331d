/*
 * The blocklists of the configuration, kept by name across reloads (with
 * their figures).  A reload gives a list new files as descriptors; the
 * new table is built beside the one in use, a slice at a time between
 * queries, and swapped in when every file has been read: a query is never
 * answered without a list, and a file that cannot be read leaves the old
 * table in place.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <event.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocklist.h"
#include "imsg.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "resolver.h"

#define BL_SLICE	(256 * 1024)	/* read per turn of the event loop */

struct blbuild {
	struct bltable	 t;
	int		 fds[BL_MAX_FILES];
	char		*paths[BL_MAX_FILES];
	uint32_t	 nfiles;
	uint32_t	 cur;
	char		 line[BL_LINE_MAX + 1];
	size_t		 len;
	int		 toolong;
	size_t		 lineno;
	size_t		 reported;	/* bad lines logged, this file */
	size_t		 bad;
	size_t		 lines;
	struct timespec	 start;
	struct event	 ev;
};

struct blocklist {
	TAILQ_ENTRY(blocklist)	 entry;
	char			 name[BL_NAME_MAX];
	uint32_t		 answer;
	struct bl_addr		 addr;
	uint32_t		 nanswer;	/* being received */
	struct bl_addr		 naddr;
	int			 present;
	struct bltable		 t;		/* in use */
	struct blbuild		*build;
	struct blocklist_stats	 stats;
};

static TAILQ_HEAD(, blocklist)	lists = TAILQ_HEAD_INITIALIZER(lists);

static void	build_slice(int, short, void *);

/*
 * The next slice after the next poll for I/O: a zero timeout, not
 * event_active(), which libevent runs again within the same pass over
 * its active events, so that a whole list was read before a query was.
 */
static void
build_next(struct blbuild *bb)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(&bb->ev, &tv);
}

static struct blocklist *
list_find(const char *name)
{
	struct blocklist	*b;

	TAILQ_FOREACH(b, &lists, entry)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

struct blocklist *
blocklist_get(const char *name)
{
	return list_find(name);
}

const char *
blocklist_name(const struct blocklist *b)
{
	return b->name;
}

static void
build_free(struct blbuild *bb)
{
	uint32_t	i;

	if (bb == NULL)
		return;
	if (event_initialized(&bb->ev))
		event_del(&bb->ev);
	for (i = 0; i < bb->nfiles; i++) {
		if (bb->fds[i] != -1)
			close(bb->fds[i]);
		free(bb->paths[i]);
	}
	bltable_free(&bb->t);
	free(bb);
}

void
blocklists_reconf_begin(void)
{
	struct blocklist	*b;

	TAILQ_FOREACH(b, &lists, entry)
		b->present = 0;
}

/* A list of the new configuration: a fresh build for it starts here. */
void
blocklists_reconf_list(const struct imsg *imsg)
{
	struct blocklist_msg	 bm;
	struct blocklist	*b;

	if (imsg->len != sizeof(bm))
		fatalx("bad IMSG_RECONF_BLOCKLIST");
	memcpy(&bm, imsg->data, sizeof(bm));
	if (memchr(bm.name, '\0', sizeof(bm.name)) == NULL ||
	    bm.answer > BL_ANSWER_ADDRESS || (bm.answer == BL_ANSWER_ADDRESS &&
	    bm.addr.af != AF_INET && bm.addr.af != AF_INET6))
		fatalx("bad IMSG_RECONF_BLOCKLIST");
	if ((b = list_find(bm.name)) == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			fatal("calloc");
		strlcpy(b->name, bm.name, sizeof(b->name));
		bltable_init(&b->t);
		TAILQ_INSERT_TAIL(&lists, b, entry);
	}
	build_free(b->build);
	if ((b->build = calloc(1, sizeof(*b->build))) == NULL)
		fatal("calloc");
	bltable_init(&b->build->t);
	b->nanswer = bm.answer;
	b->naddr = bm.addr;
	b->present = 1;
}

static struct blocklist *
item_list(const struct imsg *imsg, struct blockitem_msg *bi)
{
	struct blocklist	*b;

	if (imsg->len != sizeof(*bi))
		fatalx("bad blocklist message %u", imsg->hdr.type);
	memcpy(bi, imsg->data, sizeof(*bi));
	if (memchr(bi->list, '\0', sizeof(bi->list)) == NULL ||
	    memchr(bi->text, '\0', sizeof(bi->text)) == NULL ||
	    (b = list_find(bi->list)) == NULL || b->build == NULL)
		fatalx("blocklist message %u for an unknown list",
		    imsg->hdr.type);
	return b;
}

void
blocklists_reconf_allow(const struct imsg *imsg)
{
	struct blockitem_msg	 bi;
	struct blocklist	*b = item_list(imsg, &bi);
	uint8_t			 wire[DNS_MAX_NAME];
	size_t			 len;

	if (bl_name_wire(bi.text, strlen(bi.text), wire, &len) == -1) {
		log_warnx("blocklist \"%s\": allow \"%s\" is not a name it can "
		    "hold", b->name, bi.text);
		return;
	}
	if (bltable_add(&b->build->t, wire, len, BL_ALLOW) == -1)
		fatalx("blocklist: out of memory");
}

void
blocklists_reconf_file(const struct imsg *imsg)
{
	struct blockitem_msg	 bi;
	struct blocklist	*b;
	struct blbuild		*bb;

	if (imsg->fd == -1)
		fatalx("IMSG_RECONF_BLOCKFILE without a descriptor");
	b = item_list(imsg, &bi);
	bb = b->build;
	if (bb->nfiles == BL_MAX_FILES)
		fatalx("blocklist \"%s\": too many files", b->name);
	bb->fds[bb->nfiles] = imsg->fd;
	if ((bb->paths[bb->nfiles] = strdup(bi.text)) == NULL)
		fatal("strdup");
	bb->nfiles++;
}

/* The end of a reload: lists gone go, the others start reading. */
void
blocklists_reconf_end(void)
{
	struct blocklist	*b, *next;

	TAILQ_FOREACH_SAFE(b, &lists, entry, next) {
		if (!b->present) {
			build_free(b->build);
			bltable_free(&b->t);
			TAILQ_REMOVE(&lists, b, entry);
			free(b);
			continue;
		}
		b->answer = b->nanswer;
		b->addr = b->naddr;
		clock_gettime(CLOCK_MONOTONIC, &b->build->start);
		evtimer_set(&b->build->ev, build_slice, b);
		build_next(b->build);
	}
}

static void
build_line(struct blocklist *b, struct blbuild *bb)
{
	size_t	added = 0;

	bb->lineno++;
	bb->lines++;
	bb->line[bb->len] = '\0';
	if (!bb->toolong && bl_parse_line(&bb->t, bb->line, bb->len,
	    &added) != BL_LINE_BAD) {
		bb->len = 0;
		return;
	}
	bb->bad++;
	if (bb->reported++ < BL_REPORT_MAX)
		log_warnx("blocklist \"%s\": %s:%zu: %s", b->name,
		    bb->paths[bb->cur], bb->lineno, bb->toolong ?
		    "line too long" : "not a name, a hosts line or a rule");
	bb->len = 0;
	bb->toolong = 0;
}

static void
build_done(struct blocklist *b)
{
	struct blbuild	*bb = b->build;
	struct timespec	 now;

	bltable_finish(&bb->t);
	bltable_free(&b->t);
	b->t = bb->t;
	memset(&bb->t, 0, sizeof(bb->t));
	clock_gettime(CLOCK_MONOTONIC, &now);
	b->stats.load_ms = (now.tv_sec - bb->start.tv_sec) * 1000 +
	    (now.tv_nsec - bb->start.tv_nsec) / 1000000;
	b->stats.names = b->t.count;
	b->stats.bytes = bltable_bytes(&b->t);
	b->stats.bad = bb->bad;
	b->stats.lines = bb->lines;
	b->stats.loads++;
	log_info("blocklist \"%s\": %zu names from %u files (%zu lines, %zu "
	    "bad) in %llu ms, %zu bytes", b->name, (size_t)b->stats.names,
	    bb->nfiles, bb->lines, bb->bad,
	    (unsigned long long)b->stats.load_ms, (size_t)b->stats.bytes);
	build_free(bb);
	b->build = NULL;
}

/* Read and parse up to BL_SLICE bytes, then let queries through. */
static void
build_slice(int fd, short event, void *arg)
{
	static char	 buf[BL_SLICE];
	struct blocklist *b = arg;
	struct blbuild	*bb = b->build;
	ssize_t		 n, i;

	(void)fd;
	(void)event;
	if (bb->cur == bb->nfiles) {
		/* the index's last move, a slice at a time too */
		if (bltable_settle(&bb->t, BL_SLICE))
			build_done(b);
		else
			build_next(bb);
		return;
	}
	if ((n = read(bb->fds[bb->cur], buf, sizeof(buf))) == -1) {
		if (errno == EINTR) {
			build_next(bb);
			return;
		}
		b->stats.failures++;
		log_warn("blocklist \"%s\": %s: the list in use stays",
		    b->name, bb->paths[bb->cur]);
		build_free(bb);
		b->build = NULL;
		return;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			build_line(b, bb);
			continue;
		}
		if (bb->len == BL_LINE_MAX)
			bb->toolong = 1;
		else
			bb->line[bb->len++] = buf[i] == '\0' ? ' ' : buf[i];
	}
	if (n == 0) {
		if (bb->len > 0 || bb->toolong)
			build_line(b, bb);	/* no newline at the end */
		close(bb->fds[bb->cur]);
		bb->fds[bb->cur] = -1;
		bb->cur++;
		bb->lineno = 0;
		bb->reported = 0;
	}
	build_next(bb);
}

/*
 * Does list 'b' block the name (lower-case wire form)?  Returns the
 * listed name that blocks it, with its length, or NULL.
 */
const uint8_t *
blocklist_match(struct blocklist *b, const uint8_t *name, size_t len,
    size_t *matchlen)
{
	const uint8_t	*m;

	if ((m = bltable_match(&b->t, name, len, matchlen)) != NULL)
		b->stats.hits++;
	return m;
}

uint32_t
blocklist_answer(const struct blocklist *b, struct bl_addr *addr)
{
	*addr = b->addr;
	return b->answer;
}

/* A list's figures as a JSON object; its name is short, so it fits. */
static void
blocklist_json(const struct blocklist *b, char *out, size_t len)
{
	struct json	j;

	json_init(&j, out, len);
	json_object(&j, NULL);
	json_str(&j, "blocklist", b->name);
	json_uint(&j, "names", b->stats.names);
	json_uint(&j, "lines", b->stats.lines);
	json_uint(&j, "bad", b->stats.bad);
	json_uint(&j, "bytes", b->stats.bytes);
	json_uint(&j, "load_ms", b->stats.load_ms);
	json_uint(&j, "hits", b->stats.hits);
	json_uint(&j, "loads", b->stats.loads);
	json_uint(&j, "failures", b->stats.failures);
	json_bool(&j, "loading", b->build != NULL);
	json_close(&j);
	if (json_end(&j) == -1)
		fatalx("blocklist \"%s\": its JSON does not fit", b->name);
}

/* vpndnsctl show blocklists: a table, or a JSON object per list. */
int
blocklists_dump(int json, int (*cb)(const char *, void *), void *arg)
{
	struct blocklist	*b;
	char			 line[512];

	snprintf(line, sizeof(line), "%-16s %10s %10s %8s %12s %8s %10s %6s "
	    "%6s %s", "blocklist", "names", "lines", "bad", "bytes", "load-ms",
	    "hits", "loads", "failed", "state");
	if (!json && cb(line, arg) == -1)
		return -1;
	TAILQ_FOREACH(b, &lists, entry) {
		if (json)
			blocklist_json(b, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "%-16s %10llu %10llu "
			    "%8llu %12llu %8llu %10llu %6llu %6llu %s",
			    b->name, (unsigned long long)b->stats.names,
			    (unsigned long long)b->stats.lines,
			    (unsigned long long)b->stats.bad,
			    (unsigned long long)b->stats.bytes,
			    (unsigned long long)b->stats.load_ms,
			    (unsigned long long)b->stats.hits,
			    (unsigned long long)b->stats.loads,
			    (unsigned long long)b->stats.failures,
			    b->build != NULL ? "loading" : "ready");
		if (cb(line, arg) == -1)
			return -1;
	}
	return 0;
}

/* The i-th list for metric_table(). */
static const void *
blocklist_item(size_t i, char *labels, size_t len, void *arg)
{
	struct blocklist	*b;

	(void)arg;
	TAILQ_FOREACH(b, &lists, entry)
		if (i-- == 0) {
			metric_label(labels, len, "list", b->name);
			return &b->stats;
		}
	return NULL;
}

void
blocklists_metrics(struct metrics *m)
{
	static const struct metric_field f[] = {
		{ "vpndnsd_blocklist_names", "gauge",
		    "Names (and exceptions) in the list's table.",
		    offsetof(struct blocklist_stats, names) },
		{ "vpndnsd_blocklist_hits_total", "counter",
		    "Queries the list blocked.",
		    offsetof(struct blocklist_stats, hits) },
		{ "vpndnsd_blocklist_bad_lines", "gauge",
		    "Lines of the last load that were not understood.",
		    offsetof(struct blocklist_stats, bad) },
		{ "vpndnsd_blocklist_loads_total", "counter",
		    "Loads of the list's file, at start and on reloads.",
		    offsetof(struct blocklist_stats, loads) },
		{ "vpndnsd_blocklist_load_failures_total", "counter",
		    "Loads that failed: the table before stayed.",
		    offsetof(struct blocklist_stats, failures) },
	};

	metric_table(m, f, sizeof(f) / sizeof(f[0]), blocklist_item, NULL);
}
