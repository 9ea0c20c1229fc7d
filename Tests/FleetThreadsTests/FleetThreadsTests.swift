import FleetThreads
import Glibc
import Synchronization
import Testing

@Suite struct WorkerThreadTests {
    @Test func runsItsClosureOnAnotherThreadAndJoinShowsWhatItWrote() throws {
        let box = Box()
        let caller = pthread_self()
        let thread = try WorkerThread {
            box.ranElsewhere = pthread_equal(pthread_self(), caller) == 0
            box.written = Array(0..<1000)
        }
        thread.join()
        // The join orders memory: what the thread wrote is seen without a lock.
        #expect(box.ranElsewhere)
        #expect(box.written == Array(0..<1000))
        thread.join()  // a second join returns at once
    }

    private final class Box: @unchecked Sendable {
        var ranElsewhere = false
        var written: [Int] = []
    }
}

@Suite struct MonitorTests {
    /// A value handed back and forth a thousand times: each side waits for its turn, so no
    /// broadcast is lost and no turn is taken twice.
    @Test func twoThreadsTakeTurnsThroughOneCondition() throws {
        let monitor = Monitor()
        let state = Turns()
        let rounds = 1000
        let other = try WorkerThread {
            for _ in 0..<rounds {
                monitor.withLock {
                    while !state.othersTurn { monitor.wait() }
                    state.count += 1
                    state.othersTurn = false
                    monitor.broadcast()
                }
            }
        }
        for _ in 0..<rounds {
            monitor.withLock {
                while state.othersTurn { monitor.wait() }
                state.count += 1
                state.othersTurn = true
                monitor.broadcast()
            }
        }
        other.join()
        #expect(state.count == 2 * rounds)
        #expect(!state.othersTurn)
    }

    @Test func withLockReturnsWhatItsBodyReturnsAndRethrows() {
        let monitor = Monitor()
        #expect(monitor.withLock { 42 } == 42)
        struct Refused: Error {}
        #expect(throws: Refused.self) { try monitor.withLock { throw Refused() } }
        // The lock was let go of after the throw: taking it again does not deadlock.
        #expect(monitor.withLock { true })
    }

    private final class Turns: @unchecked Sendable {
        var othersTurn = false
        var count = 0
    }
}
