// arc4random and arc4random_buf for Debian's static libevent, which calls them (for DNS ids FleetMock
// never uses): glibc added them in 2.36, and taking them from glibc would make the executable refuse
// to start on 2.35 (Ubuntu 22.04). Defined here, the executable needs glibc 2.35 at most.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

void arc4random_buf(void *buffer, size_t count) {
    unsigned char *bytes = buffer;
    while (count > 0) {
        ssize_t got = getrandom(bytes, count, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            abort();  // no entropy source at all: as glibc's own does
        }
        bytes += got;
        count -= (size_t)got;
    }
}

uint32_t arc4random(void) {
    uint32_t value;
    arc4random_buf(&value, sizeof value);
    return value;
}
