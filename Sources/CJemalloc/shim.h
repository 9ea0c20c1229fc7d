#ifndef CJEMALLOC_SHIM_H
#define CJEMALLOC_SHIM_H

// jemalloc (Debian's libjemalloc, unprefixed) serves every malloc of the process once linked:
// it comes before libc in the executable's list of libraries. Under a trigger load glibc's malloc
// was a fifth of the loop's time (a deployment's host list is a "large" block, and each one made
// glibc sort its free lists); jemalloc took the loop's CPU per trigger down by a quarter
// (bench/alternate_loads.sh; BENCHMARKS.md, "What changed in this round").
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <jemalloc/jemalloc.h>

#define CJEMALLOC_STRINGIFY_(x) #x
#define CJEMALLOC_STRINGIFY(x) CJEMALLOC_STRINGIFY_(x)

// Hands the freed pages of every arena back to the system now, rather than after jemalloc's
// decay time (ten seconds): after start-up, so a large fleet's resident size is its state's.
static inline int CJemalloc_purgeAll(void) {
    return mallctl("arena." CJEMALLOC_STRINGIFY(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL, NULL, 0);
}

// Bytes this thread has allocated so far, as jemalloc counts them; -1 if jemalloc cannot say
// (it is not the allocator in use). Lets a test prove that malloc is jemalloc's.
static inline int64_t CJemalloc_threadAllocatedBytes(void) {
    uint64_t allocated = 0;
    size_t size = sizeof(allocated);
    if (mallctl("thread.allocated", &allocated, &size, NULL, 0) != 0) return -1;
    return (int64_t)allocated;
}

#endif
