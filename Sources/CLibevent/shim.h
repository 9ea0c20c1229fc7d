#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

// event2/event-config.h defines _GNU_SOURCE. glibc headers first reached after that take their
// GNU shape (fd_set.fds_bits), which clashes with the same headers in Swift's Glibc module. Pull
// them in first, in the default shape, so the include guards keep it.
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <errno.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

// evsignal_new and evtimer_new are function-like macros, which Swift cannot import.
static inline struct event *CLibevent_signal_new(struct event_base *base, int signum,
                                                  event_callback_fn cb, void *arg) {
    return evsignal_new(base, signum, cb, arg);
}

static inline struct event *CLibevent_timer_new(struct event_base *base, event_callback_fn cb, void *arg) {
    return evtimer_new(base, cb, arg);
}

#endif
