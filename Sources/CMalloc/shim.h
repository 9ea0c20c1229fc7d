#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H

#include <stddef.h>
#include <malloc.h>

// glibc's malloc_trim lives in <malloc.h>, which Swift's Glibc module does not include.
static inline int CMalloc_trim(size_t pad) {
    return malloc_trim(pad);
}

#endif
