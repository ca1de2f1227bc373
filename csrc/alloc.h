/*
 * alloc — zeroed memory for the model's large tables.
 *
 * The tables are touched at random. On Linux and the BSDs a large table is
 * mapped directly, so its pages are zero and cost nothing until touched,
 * and with `huge_pages` it is advised to use transparent huge pages: each
 * fault then brings in 2 MiB instead of 4 KiB, which saves page faults and
 * TLB misses once most of the table is touched anyway (a long input), but
 * makes a short input touch as much memory as a long one. Elsewhere it is
 * calloc.
 */
#ifndef MDC_ALLOC_H
#define MDC_ALLOC_H

#include <stddef.h>

void *mdc_table_alloc(size_t bytes, int huge_pages);
void mdc_table_free(void *p, size_t bytes);

#endif
