import FleetDomain
import FleetTestSupport
import Testing

@Suite struct HostQueryTests {
    private func matching(_ query: String) throws -> [String] {
        let parsed = try HostQuery.parse(query)
        return TestFleet.hosts.filter { parsed.matches($0) }.map(\.hostname)
    }

    @Test func keyValueTermMatchesTagsCaseInsensitively() throws {
        #expect(try matching("env:staging") == ["web-staging-1", "Win-Staging-2"])
        #expect(try matching("ENV:Staging") == ["web-staging-1", "Win-Staging-2"])
    }

    @Test func wildcardsMatchWithinAValue() throws {
        #expect(try matching("service:web-*").count == 10)
        #expect(try matching("service:*gres") == ["db-prod-1"])
        #expect(try matching("region:us-?ast-1").count == 8)
    }

    @Test func booleanOperatorsAndImplicitAnd() throws {
        #expect(try matching("env:prod AND service:postgres") == ["db-prod-1"])
        #expect(try matching("env:prod service:postgres") == ["db-prod-1"])
        #expect(try matching("service:postgres OR service:checkout") == ["db-prod-1", "bad-prod-1"])
        #expect(try matching("env:prod AND NOT service:web-frontend") == ["db-prod-1", "bad-prod-1"])
        #expect(try matching("env:prod -service:web-frontend") == ["db-prod-1", "bad-prod-1"])
    }

    @Test func andBindsTighterThanOrAndParenthesesOverride() throws {
        #expect(try matching("service:checkout OR env:staging AND os:windows") == ["bad-prod-1", "Win-Staging-2"])
        #expect(try matching("(service:checkout OR env:staging) AND os:windows") == ["Win-Staging-2"])
    }

    @Test func hostnameKeysAndBareTerms() throws {
        #expect(try matching("hostname:db-prod-*") == ["db-prod-1"])
        #expect(try matching("host:web-staging-1") == ["web-staging-1"])
        #expect(try matching("win-staging-2") == ["Win-Staging-2"])
        #expect(try matching("postgres") == ["db-prod-1"])
    }

    @Test func quotedValues() throws {
        #expect(try matching("service:\"postgres\"") == ["db-prod-1"])
        let spaced = SimulatedHost(
            agentKey: "k", hostname: "h", tags: [Tag(parsing: "team:data platform")], packages: [:])
        #expect(try HostQuery.parse("team:\"data platform\"").matches(spaced))
        #expect(try !HostQuery.parse("team:data").matches(spaced))
    }

    @Test func emptyQueryMatchesEveryHost() throws {
        #expect(try matching("").count == TestFleet.hosts.count)
        #expect(try matching("   ").count == TestFleet.hosts.count)
    }

    @Test(arguments: [
        ("env:prod AND", 13, "expected a term after 'AND' but the query ended"),
        ("(env:prod", 1, "unbalanced '(': no matching ')'"),
        ("env:prod)", 9, "unbalanced ')'"),
        ("OR env:prod", 1, "expected a term but found 'OR'"),
        ("env:\"prod", 5, "unterminated quoted value"),
        (":prod", 1, "a tag key is missing before ':'"),
        ("env: prod", 5, "a value is missing after 'env:'"),
        ("()", 2, "empty parentheses"),
    ])
    func invalidQueriesNameThePosition(query: String, position: Int, reason: String) {
        #expect(throws: FleetError.invalidQuery(query: query, position: position, reason: reason)) {
            try HostQuery.parse(query)
        }
    }

    @Test func deeplyNestedQueryIsRefusedNotCrashing() {
        let query = String(repeating: "(", count: 500) + "env:prod" + String(repeating: ")", count: 500)
        #expect(throws: FleetError.self) { try HostQuery.parse(query) }
    }
}
