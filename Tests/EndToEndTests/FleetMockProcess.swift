import Foundation
import Glibc

/// The built `fleetmock` binary, started on port 0 with its own state folder, for end-to-end tests.
final class FleetMockProcess {
    static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static var binaryPath: String {
        if let explicit = ProcessInfo.processInfo.environment["FLEETMOCK_BIN"] { return explicit }
        return packageRoot + "/.build/debug/fleetmock"
    }

    static func temporaryFolder() -> String {
        var template = Array("/tmp/fleetmock-e2e-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    let process = Process()
    let port: Int
    let readyLine: String
    private let output = Pipe()
    private let errors = Pipe()

    /// Starts the server and waits (up to 10 s) for its ready line.
    init(
        databasePath: String, extraArguments: [String] = ["--clock", "manual"], environment: [String: String] = [:],
        fixtures: String? = FleetMockProcess.packageRoot + "/Fixtures", workingDirectory: String? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments =
            ["serve", "--port", "0", "--db", databasePath] + (fixtures.map { ["--fixtures", $0] } ?? [])
            + extraArguments
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        var line = ""
        let deadline = Date().addingTimeInterval(10)
        let handle = output.fileHandleForReading
        while !line.contains("\n"), Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        readyLine = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let range = readyLine.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
            let port = Int(readyLine[range].split(separator: ":").last!)
        else {
            process.terminate()
            let stderrText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw E2EError("no ready line; stdout '\(readyLine)', stderr '\(stderrText)'")
        }
        self.port = port
    }

    /// Sends `signal` and returns the exit status.
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything the server wrote to stderr; call after `stop`.
    func standardError() -> String {
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func request(_ method: String, _ path: String, body: String? = nil, authenticated: Bool = true) throws -> HTTPResult
    {
        var headers = ["Host: 127.0.0.1", "Connection: close"]
        if authenticated {
            headers += ["DD-API-KEY: fleetmock-api-key", "DD-APPLICATION-KEY: fleetmock-app-key"]
        }
        if let body {
            headers += ["Content-Type: application/json", "Content-Length: \(body.utf8.count)"]
        } else if method == "POST" {
            headers.append("Content-Length: 0")
        }
        let raw = "\(method) \(path) HTTP/1.1\r\n" + headers.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? "")
        return try HTTPResult(raw: LoopbackHTTP.exchange(port: port, request: Array(raw.utf8)))
    }

    func json(_ method: String, _ path: String, body: String? = nil) throws -> [String: Any] {
        let result = try request(method, path, body: body)
        guard let object = try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any] else {
            throw E2EError("not a JSON object: \(result.bodyText)")
        }
        return object
    }
}

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct HTTPResult {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    init(raw: [UInt8]) throws {
        guard let split = raw.indices.first(where: { raw[$0...].starts(with: [13, 10, 13, 10]) }) else {
            throw E2EError("no header terminator in \(raw.count) bytes")
        }
        let head = String(decoding: raw[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        self.headers = headers
        body = Array(raw[(split + 4)...])
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// One request over a fresh loopback TCP connection, read until the server closes it.
enum LoopbackHTTP {
    /// A TCP connection to 127.0.0.1:`port`, its descriptor the caller's to close; reads time out
    /// after `receiveTimeoutSeconds` when given.
    static func connect(port: Int, receiveTimeoutSeconds: Int? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket failed") }
        if let receiveTimeoutSeconds {
            var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw E2EError("connect to port \(port) failed")
        }
        return fd
    }

    /// Sends `request` and reads the reply until the server closes, or until `limit` bytes have
    /// come, when it closes first (a client that leaves halfway through a reply).
    static func exchange(port: Int, request: [UInt8], readingAtMost limit: Int = .max) throws -> [UInt8] {
        let fd = try connect(port: port)
        defer { close(fd) }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while response.count < limit {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return response
    }
}
