/*
 * A display name ("Bob's Phone", "Zoë iPad") as one DNS label
 * ("bobs-phone", "zoe-ipad"): the one rule for every name a peer is
 * given, whatever gave it.
 */
#ifndef VPNDNSD_SLUG_H
#define VPNDNSD_SLUG_H

#include <stddef.h>

#define SLUG_LABEL_MAX	63

int	slug_label(const char *, char *, size_t, const char **);

#endif
