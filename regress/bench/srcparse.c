/*
 * srcparse FORMAT FILE ROUNDS: the CPU wgwatch spends on one reading of
 * a source, as it does it: the bytes fed to the parser in the parent's
 * 32 KB chunks, the table taken, finished and compared with the one
 * before (the first round's with an empty one, as at start, the others
 * with the same clients again, as a steady source).  FORMAT is "vici"
 * (a list-sas answer: every round a new connection's list) or
 * "status" (an OpenVPN status file).  Prints the CPU time of the first
 * reading and the mean of the rest, in milliseconds, and the peers.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wgwatch.h"

static void
count(const struct wgpeer *p, int gone, void *arg)
{
	(void)p;
	(void)gone;
	(*(size_t *)arg)++;
}

static double
cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char *argv[])
{
	const struct parser	*p;
	struct wgtable		 cur = { 0 }, next = { 0 }, tmp;
	struct wgthresholds	 thr = { 0 };
	struct wgpoll		 poll = { 1700000000, 1, 1, &thr };
	FILE			*f;
	uint8_t			*buf;
	void			*st;
	size_t			 len, off, n, changes, peers = 0;
	double			 t0, first = 0, rest = 0;
	int			 r, rounds;

	if (argc != 4 || (rounds = atoi(argv[3])) < 2)
		errx(1, "usage: srcparse vici|status FILE ROUNDS");
	p = strcmp(argv[1], "vici") == 0 ? &vici_parser : &status_parser;
	if ((f = fopen(argv[2], "r")) == NULL || fseek(f, 0, SEEK_END) ||
	    (len = ftell(f)) == 0 || fseek(f, 0, SEEK_SET) ||
	    (buf = malloc(len)) == NULL || fread(buf, 1, len, f) != len)
		err(1, "%s", argv[2]);
	fclose(f);
	if ((st = calloc(1, p->size)) == NULL)
		err(1, NULL);
	wgthresholds_clear(&thr, 300);
	for (r = 0; r < rounds; r++) {
		t0 = cpu_ms();
		p->reset(st);
		wgtable_clear(&next);
		for (off = 0; off < len; off += n) {
			n = len - off < 32768 ? len - off : 32768;
			if (p->feed(st, &next, buf + off, n) == -1)
				errx(1, "spoilt: %s", p->err(st));
		}
		if (p->take(st, &next) != 1 || wgtable_finish(&next, 1) == -1)
			errx(1, "not taken: %s", p->err(st));
		if (wgtable_keep_ended(&cur, &next, poll.now, p->grace) == -1)
			errx(1, "too many");
		changes = 0;
		wgtable_diff(&cur, &next, &poll, count, &changes);
		tmp = cur;
		cur = next;
		next = tmp;
		if (r == 0) {
			first = cpu_ms() - t0;
			peers = changes;
		} else {
			rest += cpu_ms() - t0;
			if (changes != 0)
				errx(1, "a steady reading changed %zu", changes);
		}
	}
	printf("%.3f %.3f %zu %zu\n", first, rest / (rounds - 1), peers, len);
	return 0;
}
