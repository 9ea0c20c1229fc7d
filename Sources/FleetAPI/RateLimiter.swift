import FleetDomain

/// Fixed-window request counting per API key and operation, as Datadog's `X-RateLimit-*` headers
/// describe: a window opens at the first call and lasts `periodSeconds` of wall time.
public struct RateLimiter: Sendable {
    public struct Settings: Equatable, Sendable {
        public var limit: Int
        public var periodSeconds: Int

        /// High enough that an ordinary test suite never meets it.
        public static let standard = Settings(limit: 100_000, periodSeconds: 60)

        public init(limit: Int, periodSeconds: Int) {
            self.limit = limit
            self.periodSeconds = periodSeconds
        }
    }

    /// What the headers report after a check.
    public struct Status: Equatable, Sendable {
        public let limit: Int
        public let periodSeconds: Int
        public let remaining: Int
        public let resetSeconds: Int
        public let name: String
    }

    private struct Window: Sendable {
        var start: Instant
        var count: Int
    }

    public let settings: Settings
    private var windows: [WindowKey: Window] = [:]

    private struct WindowKey: Hashable, Sendable {
        let apiKey: String
        let operation: Operation
    }

    public init(settings: Settings) {
        self.settings = settings
    }

    private func key(apiKey: String, operation: Operation) -> WindowKey {
        WindowKey(apiKey: apiKey, operation: operation)
    }

    private func liveWindow(_ key: WindowKey, now: Instant) -> Window? {
        guard let window = windows[key],
            now.milliseconds - window.start.milliseconds < Int64(settings.periodSeconds) * 1000
        else { return nil }
        return window
    }

    private func status(_ window: Window?, operation: Operation, now: Instant) -> Status {
        let reset: Int
        if let window {
            let endMilliseconds = window.start.milliseconds + Int64(settings.periodSeconds) * 1000
            reset = Int((endMilliseconds - now.milliseconds + 999) / 1000)
        } else {
            reset = settings.periodSeconds
        }
        return Status(
            limit: settings.limit, periodSeconds: settings.periodSeconds,
            remaining: max(0, settings.limit - (window?.count ?? 0)), resetSeconds: max(1, reset),
            name: operation.rateLimitName)
    }

    /// Counts one call; throws `rateLimited` (with the status) when the window is already full.
    public mutating func consume(apiKey: String, operation: Operation, now: Instant) -> (allowed: Bool, status: Status)
    {
        let key = key(apiKey: apiKey, operation: operation)
        var window = liveWindow(key, now: now) ?? Window(start: now, count: 0)
        guard window.count < settings.limit else {
            return (false, status(window, operation: operation, now: now))
        }
        window.count += 1
        windows[key] = window
        return (true, status(window, operation: operation, now: now))
    }

    /// The status without counting a call, for responses refused before the limiter is reached.
    public func peek(apiKey: String, operation: Operation, now: Instant) -> Status {
        status(liveWindow(key(apiKey: apiKey, operation: operation), now: now), operation: operation, now: now)
    }
}
