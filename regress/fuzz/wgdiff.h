/*
 * What wgwatch does with a table it parsed: compare it with the table of
 * the input before, as a poll one second later (wgtable_diff), with a
 * session source's ended peers kept (wgtable_keep_ended), and keep it.
 * Every source's fuzzer ends with it, so every counter, time and key
 * they parse goes through the rule that decides what the resolver
 * hears, under the sanitizers.
 */
#ifndef VPNDNSD_FUZZ_WGDIFF_H
#define VPNDNSD_FUZZ_WGDIFF_H

#include <stdlib.h>

#include "wgwatch.h"

static void
fuzz_diff_cb(const struct wgpeer *p, int gone, void *arg)
{
	(void)p;
	(void)gone;
	(*(size_t *)arg)++;
}

/* 'next' was finished; it is left holding the table before. */
static void
fuzz_diff(struct wgtable *next, int session)
{
	static struct wgtable		cur;
	static struct wgthresholds	thr;
	static int64_t			now = 1700000000;
	struct wgpoll			poll = { now++, 1, session, &thr };
	struct wgtable			tmp;
	size_t				n = 0;

	if (session)
		(void)wgtable_keep_ended(&cur, next, poll.now, 1);

	/* the first peer's own threshold, from its keepalive: any value */
	wgthresholds_clear(&thr, 20);
	if (next->n > 0)
		wgthresholds_add(&thr, next->peers[0].key,
		    1 + next->peers[0].keepalive);
	wgthresholds_finish(&thr);
	if (wgtable_diff(&cur, next, &poll, fuzz_diff_cb, &n) != n)
		abort();
	tmp = cur;
	cur = *next;
	*next = tmp;
}

#endif
