import EventHTTP
import Glibc
import Testing

/// Work the loop runs besides requests (a timer, signals) and how it stops.
/// Where a test must show that something did not run, a later callback of the same loop stands
/// witness: libevent runs due timers in order, so by then it would have run.
@Suite struct LoopCallbackTests {
    @Test func aTimerRunsOnceOnTheLoopThread() throws {
        let runs = Shared<[pthread_t]>([])
        let loop = try LoopbackServer(configure: { server in
            server.setTimer(afterMilliseconds: 10) { [unowned server] in
                runs.update { $0.append(pthread_self()) }
                // A stop well after it, to show it did not run again.
                server.setTimer(afterMilliseconds: 50) { server.shutdown(drainMilliseconds: 0) }
            }
        })
        try loop.start()
        try loop.waitForRunToReturn()
        #expect(runs.current.count == 1)
        #expect(runs.current.allSatisfy(loop.isLoopThread))
    }

    @Test func aNewTimerReplacesTheOneSetBefore() throws {
        let runs = Shared<[String]>([])
        let loop = try LoopbackServer(configure: { server in
            server.setTimer(afterMilliseconds: 10) { runs.update { $0.append("first") } }
            server.setTimer(afterMilliseconds: 40) { [unowned server] in
                runs.update { $0.append("second") }
                server.shutdown(drainMilliseconds: 0)
            }
        })
        try loop.start()
        try loop.waitForRunToReturn()
        #expect(runs.current == ["second"])
    }

    @Test func aCancelledTimerDoesNotRun() throws {
        let runs = Shared<[String]>([])
        let loop = try LoopbackServer(configure: { server in
            server.setTimer(afterMilliseconds: 10) { runs.update { $0.append("cancelled") } }
            server.cancelTimer()
        })
        try loop.start()
        // Well past the time it was set for: had it run, it would have by now.
        usleep(60_000)
        try loop.stop()
        #expect(runs.current.isEmpty)
    }

    /// The action may set the next timer itself (the simulation's next wake-up); a delay below
    /// zero runs at once.
    @Test func aTimersActionCanSetTheNextOne() throws {
        let runs = Shared(0)
        let loop = try LoopbackServer(configure: { server in
            func scheduleNext(on server: HTTPServer) {
                server.setTimer(afterMilliseconds: -5) { [unowned server] in
                    let count = runs.update { count in
                        count += 1
                        return count
                    }
                    if count < 3 { scheduleNext(on: server) } else { server.shutdown(drainMilliseconds: 0) }
                }
            }
            scheduleNext(on: server)
        })
        try loop.start()
        try loop.waitForRunToReturn()
        #expect(runs.current == 3)
    }

    /// A timer set while handling a request (a deployment moving the next rollout step closer).
    @Test func aTimerSetByTheHandlerRuns() throws {
        let runs = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, server in
            server.setTimer(afterMilliseconds: 5) { runs.update { $0.append("after \(request.target)") } }
            return HTTPResponse(status: 202)
        }
        let client = try LoopbackClient(port: loop.port)
        try client.send("POST /deploy HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readReply().status == 202)
        #expect(waitUntil { runs.current == ["after /deploy"] })
        try loop.stop()
    }

    /// After `shutdown` the port is closed: a new connection is refused.
    @Test func shutdownStopsListening() throws {
        let loop = try LoopbackServer.running()
        let port = loop.port
        try loop.stop()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        #expect(LoopbackClient.connect(fd, port: port) == -1)
        #expect(errno == ECONNREFUSED)
    }

    /// A reply waiting out its delay when the loop is told to stop is still sent before `run()` returns.
    @Test func shutdownWaitsForADelayedReply() throws {
        let loop = try LoopbackServer.running { request, server in
            // Stopping after this request has been dispatched, as a signal arriving then would.
            server.setTimer(afterMilliseconds: 0) { [unowned server] in server.shutdown(drainMilliseconds: 10) }
            return HTTPResponse(status: 200, body: Array("late".utf8), delayMilliseconds: 200)
        }
        let client = try LoopbackClient(port: loop.port)
        let sent = monotonicSeconds()
        try client.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let reply = try client.readReply()
        #expect(reply.bodyText == "late")
        #expect(monotonicSeconds() - sent >= 0.2)
        try loop.waitForRunToReturn()
    }

    /// A delayed reply does not hold up other connections: one asked later is answered first.
    @Test func aDelayedReplyHoldsUpNoOtherRequest() throws {
        let events = Shared<[String]>([])
        let loop = try LoopbackServer.running { request, _ in
            events.update { $0.append("handled \(request.target)") }
            let delay: Int64 = request.target == "/slow" ? 1_000 : 0
            return HTTPResponse(
                status: 200, delayMilliseconds: delay,
                lateBody: {
                    events.update { $0.append("sent \(request.target)") }
                    return Array(request.target.utf8)
                })
        }
        let slow = try LoopbackClient(port: loop.port)
        try slow.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(waitUntil { events.current == ["handled /slow"] })
        let fast = try LoopbackClient(port: loop.port)
        try fast.send("GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try fast.readReply().bodyText == "/fast")
        #expect(try slow.readReply().bodyText == "/slow")
        #expect(events.current == ["handled /slow", "handled /fast", "sent /fast", "sent /slow"])
        try loop.stop()
    }

    /// A signal to this process runs its action on the loop (SIGUSR2, which nothing else in the
    /// test process uses; libevent's handler is in place from `onSignal` until `shutdown`).
    @Test func aSignalRunsItsActionOnTheLoop() throws {
        let runs = Shared<[pthread_t]>([])
        let loop = try LoopbackServer(configure: { server in
            server.onSignal(SIGUSR2) { [unowned server] in
                runs.update { $0.append(pthread_self()) }
                server.shutdown(drainMilliseconds: 0)
            }
        })
        try loop.start()
        #expect(raise(SIGUSR2) == 0)
        try loop.waitForRunToReturn()
        #expect(runs.current.count == 1)
        #expect(runs.current.allSatisfy(loop.isLoopThread))
    }
}
