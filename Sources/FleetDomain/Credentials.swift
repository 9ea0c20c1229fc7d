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
}
