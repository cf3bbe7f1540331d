/* SipHash-2-4: keyed hashing for tables clients can fill. */
#ifndef VPNDNSD_SIPHASH_H
#define VPNDNSD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t	k0, k1;
};

uint64_t	siphash(const struct siphash_key *, const void *, size_t);

#endif
