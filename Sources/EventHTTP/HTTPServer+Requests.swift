import CLibevent

/// Reading a request from libevent and handing it to the handler.
extension HTTPServer {
    func handle(_ request: OpaquePointer) {
        var response = handler(Self.read(request))
        if Self.leftBodyUnread(request) {
            // Its bytes are still on the connection and would be parsed as the next request, so
            // the connection ends with this reply (libevent closes it on seeing the header).
            response.headers.append(("Connection", "close"))
        }
        if let holdsReply, holdsReply() {
            heldReplies.append((request, response))
            endPassSoon()
            return
        }
        dispatch(response, to: request)
    }

    /// Whether the request declares a body that libevent did not read: 2.1 reads none for HEAD,
    /// TRACE or a method it does not know, and leaves those bytes on the connection. Any other
    /// method's body was read whole before the request got here, even an empty chunked one.
    private static func leftBodyUnread(_ request: OpaquePointer) -> Bool {
        let command = evhttp_request_get_command(request)
        guard command == EVHTTP_REQ_HEAD || command == EVHTTP_REQ_TRACE || methodName(command) == "UNKNOWN",
            let input = evhttp_request_get_input_buffer(request), evbuffer_get_length(input) == 0,
            let headers = evhttp_request_get_input_headers(request)
        else { return false }
        if evhttp_find_header(headers, "Transfer-Encoding") != nil { return true }
        guard let length = evhttp_find_header(headers, "Content-Length") else { return false }
        return Int(String(cString: length)) != 0  // not a number counts as a body too
    }

    private static func read(_ request: OpaquePointer) -> HTTPRequest {
        let target = evhttp_request_get_uri(request).map { String(cString: $0) } ?? "/"
        var headers: [(name: String, value: String)] = []
        if let list = evhttp_request_get_input_headers(request) {
            var entry = list.pointee.tqh_first
            while let current = entry {
                headers.append((String(cString: current.pointee.key), String(cString: current.pointee.value)))
                entry = current.pointee.next.tqe_next
            }
        }
        var body: [UInt8] = []
        if let input = evhttp_request_get_input_buffer(request) {
            let length = evbuffer_get_length(input)
            if length > 0, let bytes = evbuffer_pullup(input, -1) {
                body = Array(UnsafeBufferPointer(start: bytes, count: length))
            }
        }
        return HTTPRequest(
            method: methodName(evhttp_request_get_command(request)), target: target, headers: headers, body: body)
    }

    private static func methodName(_ command: evhttp_cmd_type) -> String {
        switch command {
        case EVHTTP_REQ_GET: return "GET"
        case EVHTTP_REQ_POST: return "POST"
        case EVHTTP_REQ_HEAD: return "HEAD"
        case EVHTTP_REQ_PUT: return "PUT"
        case EVHTTP_REQ_DELETE: return "DELETE"
        case EVHTTP_REQ_OPTIONS: return "OPTIONS"
        case EVHTTP_REQ_PATCH: return "PATCH"
        case EVHTTP_REQ_TRACE: return "TRACE"
        case EVHTTP_REQ_CONNECT: return "CONNECT"
        default: return "UNKNOWN"
        }
    }
}
