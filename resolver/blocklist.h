/*
 * Blocklists: millions of names in a compact table.  A table is built
 * line by line from list files (plain domains, hosts files, adblock
 * rules, wildcards) beside the one in use, and swapped in when complete.
 */
#ifndef VPNDNSD_BLOCKLIST_H
#define VPNDNSD_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

#define BL_BLOCK	0x01	/* the name and every name below it */
#define BL_BLOCK_BELOW	0x02	/* only the names below it (*.name) */
#define BL_ALLOW	0x04	/* the name and below: allowed, whatever */

#define BL_LINE_MAX	1024
#define BL_REPORT_MAX	5	/* bad lines logged per file */

struct blslot {
	uint32_t		 off;		/* arena offset + 1; 0: empty */
	uint32_t		 hash;
};

struct bltable {
	uint8_t			*arena;		/* entries, one after another */
	size_t			 alen;
	size_t			 acap;
	struct blslot		*slots;
	size_t			 nslots;
	size_t			 count;
	struct siphash_key	 key;
	struct blslot		*old;		/* being moved into slots */
	size_t			 nold;
	size_t			 moved;		/* old slots below it are */
};

enum bl_line {
	BL_LINE_EMPTY,		/* blank, or a comment */
	BL_LINE_OK,
	BL_LINE_BAD
};

void		bltable_init(struct bltable *);
void		bltable_free(struct bltable *);
int		bltable_add(struct bltable *, const uint8_t *, size_t, uint8_t);
int		bltable_settle(struct bltable *, size_t);
void		bltable_finish(struct bltable *);
size_t		bltable_bytes(const struct bltable *);
/* on a finished table */
const uint8_t	*bltable_match(const struct bltable *, const uint8_t *, size_t,
		    size_t *);
enum bl_line	bl_parse_line(struct bltable *, char *, size_t, size_t *);
int		bl_name_wire(const char *, size_t, uint8_t *, size_t *);

#endif
