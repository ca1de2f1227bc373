/*
 * alloc — zeroed memory for the model's large tables.
 *
 * The tables are touched at random, so on a large table nearly every 4 KiB
 * page faults in once; on Linux and the BSDs they are mapped directly and
 * advised to use transparent huge pages, which cuts the faults 512-fold.
 * Elsewhere it is calloc. Either way untouched pages cost nothing.
 */
#ifndef MDC_ALLOC_H
#define MDC_ALLOC_H

#include <stddef.h>

void *mdc_table_alloc(size_t bytes);
void mdc_table_free(void *p, size_t bytes);

#endif
