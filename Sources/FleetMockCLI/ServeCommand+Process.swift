import Glibc

/// What `serve` asks of the process and the file system before it reads any state.
extension ServeCommand {
    /// The time zone, signals and descriptor limit the server runs with.
    static func prepareProcess() {
        // evhttp formats a Date header per reply; with TZ unset glibc re-reads /etc/localtime each time.
        setenv("TZ", "UTC", 1)
        tzset()
        // A client hanging up mid-reply must not kill the server.
        signal(SIGPIPE, SIG_IGN)
        // Each connection is a file descriptor: allow as many as the system lets us (the soft limit
        // is often 1024, too few for a thousand concurrent clients).
        var files = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0, files.rlim_cur < files.rlim_max {
            files.rlim_cur = min(files.rlim_max, 1 << 20)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
        }

        // Until the loop handles them, SIGTERM and SIGINT during a long start (a large first seeding)
        // end the process with one line; a seeding cut short counts as unseeded and starts again.
        signal(SIGTERM, startupSignalHandler)
        signal(SIGINT, startupSignalHandler)
    }

    /// Makes the state file at `path` this process's: its folder created, it and its WAL and
    /// shared-memory files writable, and its lock taken.
    static func claimStateFile(_ path: String) throws(StartupError) {
        SystemIO.createParentDirectories(of: path)
        if let reason = SystemIO.cannotOpenForWriting(path) {
            throw StartupError("cannot open the state file \(path): \(reason)")
        }
        // SQLite opens a WAL or shared-memory file it cannot write read-only, and then fails
        // every write after a start that looked fine.
        for companion in ["-wal", "-shm"] where SystemIO.fileExists(path + companion) {
            if let reason = SystemIO.cannotOpenForWriting(path + companion) {
                throw StartupError("cannot open \(path + companion), beside the state file: \(reason)")
            }
        }
        // A state file (and its orgs' files) belongs to one process: two servers writing one
        // file diverge and lose each other's writes. Taken before anything is read or deleted.
        if let reason = SystemIO.lockExclusively(path + ".lock") {
            throw StartupError("the state file \(path) is in use: \(reason) (its lock is \(path).lock)")
        }
    }
}

/// Async-signal-safe: a fixed line and `_exit`, nothing else. The ready file is not written yet.
private func startupSignalHandler(_ signal: Int32) {
    let line: StaticString = """
        fleetmock: stopped by a signal while starting; nothing was served, \
        and a seeding cut short starts again next time

        """
    _ = write(2, line.utf8Start, line.utf8CodeUnitCount)
    _exit(0)
}
