/*
 * compiler.h — the compiler-specific macros of the core, in one place.
 *
 * Each has a plain C99 fallback, so the core builds with any compiler; what
 * they change is speed, never a coded bit.
 */
#ifndef MDC_COMPILER_H
#define MDC_COMPILER_H

/* The coding loops get an AVX2 clone where the toolchain can choose one at
 * load time (GNU ifunc; GCC only: clang 14 mislinks them). They are integer
 * code, so either clone gives the same result; building with
 * -DMDC_NO_VECTOR_CLONES leaves the default one alone, which is how the
 * determinism test compares the two. */
#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__) && \
    defined(__has_attribute) && !defined(MDC_NO_VECTOR_CLONES)
#if __has_attribute(target_clones)
#define MDC_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef MDC_VECTOR_CLONES
#define MDC_VECTOR_CLONES
#endif

/* The per-node and per-byte steps are inlined into the cloned coding loops
 * (MDC_INLINE), so that they are compiled for the clone's vector width too;
 * the loops themselves stay functions of their own (MDC_NOINLINE). The core
 * is built without link-time optimisation, one file at a time, so a step
 * the loops call per bit lives in a header. */
#if defined(__GNUC__) || defined(__clang__)
#define MDC_INLINE inline __attribute__((always_inline))
#define MDC_NOINLINE __attribute__((noinline))
#else
#define MDC_INLINE inline
#define MDC_NOINLINE
#endif

/* Ask for the cache line at `addr` (a hint: no effect on any result). A
 * function whose only effect is a prefetch is force-inlined (MDC_INLINE):
 * GCC may take it for free of side effects and delete the calls. */
#if defined(__GNUC__) || defined(__clang__)
#define MDC_PREFETCH(addr) __builtin_prefetch(addr)
#else
#define MDC_PREFETCH(addr) ((void)(addr))
#endif

#endif
