/*
 * Large arrays of the whois directory.  A million records take a few
 * hundred megabytes of values and index; on virtual machines every 4 KiB
 * page faulted in costs tens of microseconds, more than the bytes it
 * holds, so big arrays get their own mapping advised onto 2 MiB pages
 * (transparent huge pages in "madvise" mode) and grow by remapping.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "db_internal.h"

#define HUGE_PAGE	((size_t)2 << 20)
#define BIG		((size_t)1 << 20)	/* below: malloc */

static size_t
map_len(size_t bytes)
{
	return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* A fresh zeroed mapping of len bytes (a huge page multiple) that starts
 * on a huge page boundary, so every 2 MiB of it can be one page. */
static void *
map_huge(size_t len)
{
	char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), *a;
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
	head = (size_t)(a - p);
	if (head > 0)
		munmap(p, head);
	munmap(a + len, HUGE_PAGE - head);
	/* Advice only: without huge pages the array still works. */
	(void)madvise(a, len, MADV_HUGEPAGE);
	return a;
}

void *
wd_db__grow_slow(void *p, uint32_t *cap, uint64_t need, size_t size)
{
	uint64_t n = *cap ? *cap : 256;
	size_t old = (size_t)*cap * size, nb;
	void *q;

	while (n < need)
		n *= 2;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	if (n < need)
		return NULL;
	nb = (size_t)n * size;
	if (nb < BIG) {
		q = p == NULL ? calloc(1, nb) : realloc(p, nb);
	} else if (p == NULL || old < BIG) {
		if ((q = map_huge(map_len(nb))) != NULL && p != NULL) {
			memcpy(q, p, old);
			free(p);
		}
	} else if (map_len(nb) == map_len(old)) {
		q = p;
	} else {
		q = mremap(p, map_len(old), map_len(nb), MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			q = NULL;
		else
			(void)madvise(q, map_len(nb), MADV_HUGEPAGE);
	}
	if (q == NULL)
		return NULL;
	*cap = (uint32_t)n;
	return q;
}

void *
wd_db__reuse(void *p, uint32_t cap, size_t size, uint32_t *ncap, uint64_t need,
    size_t nsize)
{
	size_t old = (size_t)cap * size, nb;
	void *q;

	if (p == NULL) {
		*ncap = 0;
		return wd_db__grow(NULL, ncap, need, nsize);
	}
	if (need == 0)
		need = 1;
	if (need > UINT32_MAX) {
		wd_db__release(p, cap, size);
		return NULL;
	}
	nb = (size_t)need * nsize;
	if (old >= BIG && nb >= BIG && map_len(nb) <= map_len(old)) {
		if (map_len(nb) < map_len(old))
			munmap((char *)p + map_len(nb), map_len(old) - map_len(nb));
		*ncap = (uint32_t)need;
		return p;
	}
	if (old < BIG && nb < BIG) {
		if ((q = realloc(p, nb)) == NULL)
			free(p);
		else
			*ncap = (uint32_t)need;
		return q;
	}
	*ncap = 0;
	if ((q = wd_db__grow(NULL, ncap, need, nsize)) != NULL)
		memcpy(q, p, old < nb ? old : nb);
	wd_db__release(p, cap, size);
	return q;
}

void
wd_db__release(void *p, uint32_t cap, size_t size)
{
	size_t nb = (size_t)cap * size;

	if (p == NULL)
		return;
	if (nb < BIG)
		free(p);
	else
		munmap(p, map_len(nb));
}
