import CLibevent
import Glibc

/// Running out of file descriptors: accept errors, a paused listener, and retries.
extension HTTPServer {
    /// How often a paused listener checks for a free descriptor.
    static let acceptRetryMilliseconds: Int64 = 100

    /// Takes over accept() failures from libevent, which otherwise logs a warning and retries at
    /// once, for as long as the failure lasts: out of descriptors, that spun a core and wrote
    /// megabytes of identical warnings a second.
    func watchAcceptErrors(of handle: OpaquePointer) {
        guard let listener = evhttp_bound_socket_get_listener(handle) else { return }
        acceptListener = listener
        let key = UInt(bitPattern: Int(bitPattern: http))
        let value = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        serversByHTTP.withLock { $0[key] = value }
        evconnlistener_set_error_cb(listener, httpServerAcceptErrorCallback)
    }

    /// accept() failed with `error` (never a retriable one: libevent retries those itself). Pauses
    /// the listener, so waiting connections stay in the kernel's backlog, and checks back later.
    func acceptFailed(error: Int32) {
        guard let acceptListener else { return }
        evconnlistener_disable(acceptListener)
        if descriptorShortage == nil {
            descriptorShortage = (since: Self.monotonicMilliseconds(), failedAttempts: 0, resumed: false)
            let reason = String(cString: strerror(error))
            let what = error == EMFILE || error == ENFILE ? "out of file descriptors" : "cannot accept connections"
            logLine(
                "\(what) (accept: \(reason)): new connections wait, checking every \(Self.acceptRetryMilliseconds) ms")
        }
        descriptorShortage?.failedAttempts += 1
        descriptorShortage?.resumed = false
        scheduleAcceptRetry()
    }

    private func scheduleAcceptRetry() {
        if acceptRetryEvent == nil {
            acceptRetryEvent = CLibevent_timer_new(
                base, httpServerAcceptRetryCallback, Unmanaged.passUnretained(self).toOpaque())
        }
        guard let acceptRetryEvent else { return }
        var interval = timeval(tv_sec: 0, tv_usec: Int(Self.acceptRetryMilliseconds) * 1000)
        event_add(acceptRetryEvent, &interval)
    }

    /// Resumes accepting once a descriptor can be had: tried on a duplicate of the listening socket,
    /// which costs no connection (accept would take one off the backlog only to fail again). The
    /// episode ends after a whole interval on trial without a failure: descriptors come back one
    /// at a time as the loop closes connections, and the backlog can take the first ones again.
    func retryAccepting() {
        guard let acceptListener, let shortage = descriptorShortage else { return }
        guard shortage.resumed else {
            let probe = fcntl(evconnlistener_get_fd(acceptListener), F_DUPFD_CLOEXEC, 0)
            if probe >= 0 {
                close(probe)
                descriptorShortage?.resumed = true
                evconnlistener_enable(acceptListener)
            } else {
                descriptorShortage?.failedAttempts += 1
            }
            scheduleAcceptRetry()
            return
        }
        descriptorShortage = nil
        let seconds = Double(Self.monotonicMilliseconds() - shortage.since) / 1000
        let attempts = shortage.failedAttempts
        let found = "\(attempts) attempt\(attempts == 1 ? "" : "s") found none"
        logLine("descriptors free again after \(Double(Int(seconds * 10)) / 10) s (\(found)): accepting connections")
    }
}
