#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__)
#define _DEFAULT_SOURCE
#define MDC_USE_MMAP 1
#include <sys/mman.h>
#endif

#include "alloc.h"

#include <stdlib.h>

/* From this size up a table is mapped: its pages are zero and cost nothing
 * until touched, where calloc would clear memory that malloc's heap hands
 * back (the model tables of a short input are mostly never touched). Below
 * it, rounding up to whole pages would waste more than that saves. */
#define MAP_THRESHOLD (1u << 16)

void *mdc_table_alloc(size_t bytes, int huge_pages)
{
#ifdef MDC_USE_MMAP
    if (bytes >= MAP_THRESHOLD) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        if (huge_pages)
            madvise(p, bytes, MADV_HUGEPAGE);
#endif
        return p;
    }
#endif
    (void)huge_pages;
    return calloc(bytes ? bytes : 1, 1);
}

void mdc_table_free(void *p, size_t bytes)
{
    (void)bytes; /* only munmap needs it */
    if (!p)
        return;
#ifdef MDC_USE_MMAP
    if (bytes >= MAP_THRESHOLD) {
        munmap(p, bytes);
        return;
    }
#endif
    free(p);
}
