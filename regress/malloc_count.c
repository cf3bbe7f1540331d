/*
 * LD_PRELOAD shim for the tests: counts heap allocations in each process
 * and writes the count to stderr on SIGUSR2, so a test can tell whether a
 * path allocates.  glibc's own entry points do the work.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*__libc_memalign(size_t, size_t);

static volatile unsigned long	count;

void *
malloc(size_t n)
{
	count++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	count++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	count++;
	return __libc_realloc(p, n);
}

int
posix_memalign(void **p, size_t align, size_t n)
{
	count++;
	*p = __libc_memalign(align, n);
	return *p == NULL ? 12 : 0;
}

static void
report(int sig)
{
	char		 buf[64], num[24], *p = num + sizeof(num);
	unsigned long	 n = count;
	size_t		 len;

	(void)sig;
	*--p = '\0';
	do {
		*--p = '0' + n % 10;
		n /= 10;
	} while (n > 0);
	memcpy(buf, "malloc_count: ", 14);
	len = 14;
	memcpy(buf + len, p, strlen(p));
	len += strlen(p);
	buf[len++] = '\n';
	(void)!write(STDERR_FILENO, buf, len);
}

__attribute__((constructor)) static void
init(void)
{
	signal(SIGUSR2, report);
}
