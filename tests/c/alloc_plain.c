/*
 * alloc_plain — the core's table allocator (csrc/alloc.h) on plain calloc,
 * for sanitizer and fuzzing builds, which link it instead of csrc/alloc.c.
 *
 * csrc/alloc.c maps large tables with mmap, and AddressSanitizer puts no
 * guard zones around a mapping: a read past the end of a table would land
 * in whatever is mapped next. From calloc every table gets guard zones, so
 * an index one past the end is reported at once.
 */
#include <stdlib.h>

#include "alloc.h"

void *mdc_table_alloc(size_t bytes, int huge_pages)
{
    (void)huge_pages;
    return calloc(bytes ? bytes : 1, 1);
}

void mdc_table_free(void *p, size_t bytes)
{
    (void)bytes;
    free(p);
}
