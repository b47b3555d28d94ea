/*
 * array.h: the one way rexian grows an array that is appended to one element at a time.
 * The capacity doubles from a first size, so appends cost O(1) amortised; a size that
 * would overflow is refused like an allocation failure.
 */
#ifndef REXIAN_ARRAY_H
#define REXIAN_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Returns arr reallocated to twice *cap elements of elem bytes (first if *cap is 0) and
 * stores the new capacity in *cap; on failure returns NULL and leaves arr and *cap as
 * they were, so the caller still owns arr.
 */
static inline void *rx_array_grow(void *arr, size_t elem, size_t *cap, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *p;

	if (*cap > 0 && n > SIZE_MAX / 2)
		return NULL;
	if (*cap > 0)
		n *= 2;
	if (elem > 0 && n > SIZE_MAX / elem)
		return NULL;
	if ((p = realloc(arr, n * elem)) == NULL)
		return NULL;
	*cap = n;
	return p;
}

#endif
