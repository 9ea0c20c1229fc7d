import CLibevent
import Glibc
import Synchronization

// C callbacks capture nothing (a capturing @convention(c) closure crashes the 6.3 compiler): the
// server arrives through the `void *` argument.

func httpServerLentBodyCleanup(_ data: UnsafeRawPointer?, _ length: Int, _ box: UnsafeMutableRawPointer?) {
    guard let box else { return }
    Unmanaged<LentBody>.fromOpaque(box).release()
}

func httpServerRequestCallback(_ request: OpaquePointer?, _ argument: UnsafeMutableRawPointer?) {
    guard let request, let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handle(request)
}

/// The server that owns each evhttp, by address. libevent calls a listener's error callback with
/// the listener's argument, which evhttp set to itself for its accept callback: this leads back
/// from there to the server. Looked up only when accept fails.
let serversByHTTP = Mutex<[UInt: UInt]>([:])

func httpServerAcceptErrorCallback(_ listener: OpaquePointer?, _ http: UnsafeMutableRawPointer?) {
    let error = errno  // what accept() left, read before anything else can change it
    guard let http, let address = serversByHTTP.withLock({ $0[UInt(bitPattern: http)] }),
        let server = UnsafeMutableRawPointer(bitPattern: address)
    else { return }
    Unmanaged<HTTPServer>.fromOpaque(server).takeUnretainedValue().acceptFailed(error: error)
}

func httpServerAcceptRetryCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().retryAccepting()
}

func httpServerSignalCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handleSignal(Int32(fd))
}

func httpServerDelayedReplyCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    let pending = Unmanaged<PendingReply>.fromOpaque(argument).takeRetainedValue()
    pending.server.send(pending.response, to: pending.request)
}

func httpServerPassEndCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().endPass()
}

func httpServerTimerCallback(_ fd: Int32, _ events: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<HTTPServer>.fromOpaque(argument).takeUnretainedValue().handleTimer()
}
