/// The API and application keys FleetMock accepts, and what each application key may do.
public struct Credentials: Equatable, Sendable {
    public struct APIKey: Equatable, Sendable {
        public let key: String
        public let name: String

        public init(key: String, name: String) {
            self.key = key
            self.name = name
        }
    }

    public struct ApplicationKey: Equatable, Sendable {
        public let key: String
        public let name: String
        /// The user handle that acts through this key (`created_by` of what it creates).
        public let owner: String
        public let permissions: Set<String>

        public init(key: String, name: String, owner: String, permissions: Set<String>) {
            self.key = key
            self.name = name
            self.owner = owner
            self.permissions = permissions
        }
    }

    public private(set) var apiKeys: [String: APIKey] = [:]
    public private(set) var applicationKeys: [String: ApplicationKey] = [:]

    public init(apiKeys: [APIKey], applicationKeys: [ApplicationKey]) {
        for key in apiKeys { self.apiKeys[key.key] = key }
        for key in applicationKeys { self.applicationKeys[key.key] = key }
    }

    /// Checks the two headers, in Datadog's order: API key first, then application key.
    public func authenticate(apiKey: String?, applicationKey: String?) throws(FleetError) -> ApplicationKey {
        guard let apiKey, !apiKey.isEmpty else { throw FleetError.missingAPIKey }
        guard apiKeys[apiKey] != nil else { throw FleetError.invalidAPIKey }
        guard let applicationKey, !applicationKey.isEmpty else { throw FleetError.missingApplicationKey }
        guard let found = applicationKeys[applicationKey] else { throw FleetError.invalidApplicationKey }
        return found
    }

    /// Every permission in `required` must be held (the spec's `x-permission` operator is AND).
    public static func authorize(
        _ key: ApplicationKey, operation: String, required: [String]
    ) throws(FleetError) {
        let missing = required.filter { !key.permissions.contains($0) }
        guard missing.isEmpty else {
            throw FleetError.missingPermissions(operation: operation, required: required, missing: missing)
        }
    }
}
