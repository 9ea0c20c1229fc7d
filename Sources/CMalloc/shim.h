#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H

#include <stddef.h>
#include <malloc.h>

// glibc's malloc_trim lives in <malloc.h>, which Swift's Glibc module does not include.
static inline int CMalloc_trim(size_t pad) {
    return malloc_trim(pad);
}

// Fixes the size from which malloc maps a block of its own (given back to the system on free).
// Left alone, glibc raises it after each large free, up to 32 MB, and a large reply's buffer
// then stays in the heap after the reply: resident memory ratchets up with each one.
static inline int CMalloc_fixMmapThreshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

#endif
