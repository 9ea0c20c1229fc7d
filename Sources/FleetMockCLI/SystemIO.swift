import CJemalloc
import FleetDomain
import Glibc

/// The few operating-system calls the composition root needs, kept out of the other layers.
enum SystemIO {
    /// `stderr` is a C global Swift 6 rejects as shared mutable state, so write to fd 2 directly.
    /// Writes every byte to `fd`, however many calls it takes; gives up on an error other than EINTR
    /// (a log must never stop the server).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    static func printError(_ message: String) {
        writeAll(2, Array((message + "\n").utf8))
    }

    /// Prints to stdout and flushes at once, so a parent reading a pipe sees the line immediately.
    static func printLine(_ message: String) {
        writeAll(1, Array((message + "\n").utf8))
    }

    /// Returns freed heap memory to the system now (jemalloc would after its decay time).
    static func releaseFreedMemory() {
        _ = CJemalloc_purgeAll()
    }

    static func wallNow() -> Instant {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Instant(milliseconds: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    static func monotonicMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// Writes to a temporary file beside `path`, then renames it over `path`, so a reader polling
    /// for the file never sees it half written.
    static func writeFileAtomically(_ path: String, contents: String) -> Bool {
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else { return false }
        var text = contents
        let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file) == 0
        guard written == contents.utf8.count, closed, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// The whole file, read into one buffer of its size (a 45 MB fleet.json read in 64 KB pieces
    /// into a growing array was copied and page-faulted twice over).
    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var status = stat()
        let size = fstat(fileno(file), &status) == 0 && status.st_size > 0 ? Int(status.st_size) : 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size > 0 ? fread(buffer.baseAddress!, 1, size, file) : 0
        }
        // A file that grew meanwhile, or one whose size stat cannot tell (a pipe): the rest.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while ferror(file) == 0, feof(file) == 0 {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }

    /// Why `path` cannot be opened for reading and writing (created if missing), as the system says
    /// it ("permission denied", "read-only file system"); nil when it can.
    static func cannotOpenForWriting(_ path: String) -> String? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd < 0 else {
            close(fd)
            return nil
        }
        let reason = String(cString: strerror(errno))
        return reason.prefix(1).lowercased() + reason.dropFirst()
    }

    /// Takes the lock that makes a state file one process's: an exclusive flock on `PATH.lock`,
    /// which holds the owner's pid, kept open (so held) until the process exits. On failure, why,
    /// naming the holder's pid when the file tells it.
    static func lockExclusively(_ lockPath: String) -> String? {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                readFile(lockPath).map { String(decoding: $0, as: UTF8.self) }?
                .droppingTrailingWhitespace() ?? ""
            close(fd)
            return holder.isEmpty ? "another process holds it" : "process \(holder) holds it"
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return nil  // the descriptor stays open, and the lock with it
    }

    static func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// `mkdir -p` for the folder that will hold `filePath`.
    static func createParentDirectories(of filePath: String) {
        var components = filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !components.isEmpty else { return }
        var current = filePath.hasPrefix("/") ? "" : "."
        if filePath.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            current += "/" + component
            mkdir(current, 0o755)
        }
    }

    /// The folder of the running executable, resolved through symlinks.
    static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

extension StringProtocol {
    /// Without the newlines, returns and spaces at its end (a line read from a file or a shell).
    func droppingTrailingWhitespace() -> SubSequence {
        var end = endIndex
        while end > startIndex, " \n\r".contains(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
