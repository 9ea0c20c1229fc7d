#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

// evsignal_new and evtimer_new are function-like macros, which Swift cannot import.
static inline struct event *CLibevent_signal_new(struct event_base *base, int signum,
                                                  event_callback_fn cb, void *arg) {
    return evsignal_new(base, signum, cb, arg);
}

static inline struct event *CLibevent_timer_new(struct event_base *base, event_callback_fn cb, void *arg) {
    return evtimer_new(base, cb, arg);
}

#endif
