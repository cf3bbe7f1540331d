/*
 * Domain names: one parser for every name the configuration, a
 * control request or a message between the processes writes as text,
 * to the checked, lower-case wire form everything inside works with.
 */
#ifndef VPNDNSD_DNAME_H
#define VPNDNSD_DNAME_H

#include <stddef.h>
#include <stdint.h>

#include "vpndnsd.h"

struct dname {
	size_t		len;
	uint8_t		wire[DNS_MAX_NAME];
};

int	dname_parse(const char *, struct dname *, char *, size_t);
int	dname_text(const struct dname *, char *, size_t);

#endif
