import FleetDomain

/// The API's checks of a request's keys, in Datadog's order: API key, application key, permissions.
extension Credentials {
    /// Checks the two headers, in Datadog's order: API key first, then application key.
    func authenticate(apiKey: String?, applicationKey: String?) throws(APIError) -> ApplicationKey {
        guard let apiKey, !apiKey.isEmpty else { throw APIError.missingAPIKey }
        guard apiKeys[apiKey] != nil else { throw APIError.invalidAPIKey }
        guard let applicationKey, !applicationKey.isEmpty else { throw APIError.missingApplicationKey }
        guard let found = applicationKeys[applicationKey] else { throw APIError.invalidApplicationKey }
        return found
    }

    /// Every permission in `required` must be held (the spec's `x-permission` operator is AND).
    static func authorize(
        _ key: ApplicationKey, operation: String, required: [String]
    ) throws(APIError) {
        let missing = required.filter { !key.permissions.contains($0) }
        guard missing.isEmpty else {
            throw APIError.missingPermissions(operation: operation, required: required, missing: missing)
        }
    }
}
