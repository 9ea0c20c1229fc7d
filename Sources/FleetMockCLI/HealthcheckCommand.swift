import Glibc

/// `fleetmock healthcheck [--url URL] [--timeout SECONDS]`: exits 0 when URL answers 2xx, else 1.
/// A container's HEALTHCHECK can run it with no curl in the image. Plain HTTP over IPv4/IPv6 only.
enum HealthcheckCommand {
    static let defaultURL = "http://127.0.0.1:8585/__fleetmock/health"

    static let help = """
        USAGE: fleetmock healthcheck [--url URL] [--timeout SECONDS]

        Exits 0 when URL answers with a 2xx status, 1 otherwise (no answer, timeout, other status).
          --url URL          default \(defaultURL), on port FLEETMOCK_PORT when set
                             (env: FLEETMOCK_HEALTHCHECK_URL);
                             a base URL such as --ready-file holds checks its /__fleetmock/health
          --timeout SECONDS  default 2
        """

    static func run(arguments: [String], environment: [String: String]) -> Int32 {
        let check: Check
        do {
            check = try Check.parse(arguments: arguments, environment: environment)
        } catch {
            SystemIO.printError("fleetmock healthcheck: \(error)")
            return 2
        }
        switch probe(check.target, timeoutSeconds: check.timeoutSeconds) {
        case .success(let status):
            SystemIO.printLine("\(check.url): \(status)")
            return (200..<300).contains(status) ? 0 : 1
        case .failure(let reason):
            SystemIO.printError("fleetmock healthcheck: \(check.url): \(reason)")
            return 1
        }
    }

    /// What to ask, from the flags and the environment.
    struct Check: Equatable {
        /// As given, for the messages.
        let url: String
        let target: HTTPURL
        let timeoutSeconds: Int

        static func parse(arguments: [String], environment: [String: String]) throws(UsageError) -> Check {
            // The port the server was told to use (as in the container), unless a URL is named.
            var url =
                environment["FLEETMOCK_HEALTHCHECK_URL"]
                ?? environment["FLEETMOCK_PORT"].map { "http://127.0.0.1:\($0)/__fleetmock/health" } ?? defaultURL
            var timeoutSeconds = 2
            var index = 0
            while index < arguments.count {
                let name = arguments[index]
                guard index + 1 < arguments.count else { throw UsageError("\(name) needs a value\n\n\(help)") }
                let value = arguments[index + 1]
                switch name {
                case "--url": url = value
                case "--timeout":
                    guard let seconds = Int(value), seconds >= 1 else {
                        throw UsageError("--timeout must be a positive integer")
                    }
                    timeoutSeconds = seconds
                default: throw UsageError("unknown option '\(name)'\n\n\(help)")
                }
                index += 2
            }
            guard let target = HTTPURL(url) else { throw UsageError("'\(url)' is not an http://HOST:PORT/PATH URL") }
            return Check(url: url, target: target, timeoutSeconds: timeoutSeconds)
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// One GET; the status code of the answer.
    static func probe(_ target: HTTPURL, timeoutSeconds: Int) -> Result<Int, ProbeFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var addresses: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(target.host, String(target.port), &hints, &addresses) == 0, let first = addresses else {
            return .failure(ProbeFailure(description: "cannot resolve \(target.host)"))
        }
        defer { freeaddrinfo(addresses) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(ProbeFailure(description: "socket failed")) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return .failure(ProbeFailure(description: "connection refused or timed out"))
        }
        let request = "GET \(target.path) HTTP/1.1\r\nHost: \(target.host)\r\nConnection: close\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
        guard sent > 0 else { return .failure(ProbeFailure(description: "send failed")) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return .failure(ProbeFailure(description: "no answer")) }
        // "HTTP/1.1 200 OK": the status is the second word of the first line.
        let statusLine = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let words = statusLine.split(separator: " ")
        guard words.count >= 2, words[0].hasPrefix("HTTP/"), let status = Int(words[1]) else {
            return .failure(ProbeFailure(description: "not an HTTP answer"))
        }
        return .success(status)
    }
}

/// `http://HOST[:PORT][/PATH]`, with `[v6]` hosts; nothing else.
struct HTTPURL: Equatable {
    let host: String
    let port: Int
    let path: String

    init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash].droppingTrailingWhitespace()
        // A base URL (what --ready-file holds, with or without its newline) checks the health endpoint.
        let named = rest[slash...].droppingTrailingWhitespace()
        path = named.isEmpty || named == "/" ? "/__fleetmock/health" : String(named)
        var hostPart = Substring(authority)
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65_535).contains(port) else { return nil }
            self.port = port
        } else {
            port = 80
        }
    }
}
