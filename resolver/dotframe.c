/*
 * Messages over a stream (RFC 1035 4.2.2, RFC 7858): a two-byte length,
 * then the message.  Apart from dot.c so that it can be fuzzed alone.
 */
#include <sys/types.h>

#include <string.h>

#include "dot.h"
#include "wire.h"

/*
 * The message at the start of 'buf' (at buf + 2): the bytes it takes
 * with its length, 0 when more must come first, or -1 when the stream
 * is broken (a length no DNS message can have).
 */
static ssize_t
dotframe_next(const uint8_t *buf, size_t len)
{
	size_t	mlen;

	if (len < 2)
		return 0;
	mlen = get16(buf);
	if (mlen < DNS_HEADER_SIZE)
		return -1;
	return len < 2 + mlen ? 0 : (ssize_t)(2 + mlen);
}

/*
 * Each whole message of the *len bytes read into 'buf' to 'cb', then
 * what is left of the next moved to the front (*len its length).  'cb'
 * returns -1 to stop: the bytes are left as they are then.
 */
enum dotframe
dotframe_take(uint8_t *buf, size_t *len,
    int (*cb)(void *, uint8_t *, size_t), void *arg)
{
	size_t	off = 0;
	ssize_t	n;

	while ((n = dotframe_next(buf + off, *len - off)) > 0) {
		if (cb(arg, buf + off + 2, n - 2) == -1)
			return DOTFRAME_STOPPED;
		off += n;
	}
	if (n == -1)
		return DOTFRAME_BROKEN;
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return DOTFRAME_MORE;
}
