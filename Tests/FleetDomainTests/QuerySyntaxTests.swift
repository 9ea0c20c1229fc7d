import FleetDomain
import FleetTestSupport
import Testing

/// Datadog's search syntax as README's "Queries" states it: queries written two ways match the
/// same hosts, and what the syntax does not allow is refused at its position.
@Suite struct QuerySyntaxTests {
    /// The test fleet plus hosts whose tags need quoting, escaping or a second value for a key.
    static let fleet: [SimulatedHost] =
        TestFleet.hosts + [
            TestFleet.host("qa-1", ["env:qa", "service:web-api", "team:data platform", "role:web", "role:api"]),
            TestFleet.host("qa-2", ["env:qa", "note:a:b", "label:*star*", "fn:f(x)", "opt:-v", "word:AND"]),
            TestFleet.host("qa-3", ["env:qa", "label:superstar", "team:data-platform", "city:Zürich"]),
            TestFleet.host("Café-1", ["env:dev", "role:web"]),
        ]

    private func matching(_ query: String) throws -> [String] {
        let parsed = try HostQuery.parse(query)
        return Self.fleet.filter { parsed.matches($0) }.map(\.hostname)
    }

    @Test(arguments: [
        // Value groups.
        ("env:(prod OR staging)", "env:prod OR env:staging"),
        ("env:(PROD OR Staging)", "env:prod OR env:staging"),
        ("service:(web-* OR postgres)", "service:web-* OR service:postgres"),
        ("role:(web api)", "role:web role:api"),
        ("role:(web AND api)", "role:web AND role:api"),
        ("env:(qa -(staging OR prod))", "env:qa -env:staging -env:prod"),
        ("-env:(prod OR staging)", "NOT env:prod NOT env:staging"),
        ("env:prod -service:(web-frontend OR postgres)", "env:prod NOT service:web-frontend NOT service:postgres"),
        ("env:(prod OR staging) os:windows", "(env:prod OR env:staging) AND os:windows"),
        ("hostname:(db-prod-1 OR bad-prod-1)", "db-prod-1 OR bad-prod-1"),
        ("service:(postgres OR checkout)", "(postgres OR checkout)"),
        // Negation, implicit AND, precedence.
        ("-env:prod", "NOT env:prod"),
        ("-env:prod", "NOT (env:prod)"),
        ("NOT -env:prod", "env:prod"),
        ("env:prod service:web-frontend", "env:prod AND service:web-frontend"),
        ("env:staging OR env:prod service:postgres", "env:staging OR (env:prod AND service:postgres)"),
        ("NOT env:prod OR env:staging", "(NOT env:prod) OR env:staging"),
        // Wildcards.
        ("region:us-*-1", "region:us-east-1"),
        ("region:*-west-?", "region:(eu-west-1 OR us-west-2)"),
        ("hostname:web-prod-*", "host:WEB-PROD-?"),
        ("city:z?rich", "city:ZÜRICH"),
        ("host:CAFÉ-?", "café-1"),
        ("env:*", "env:(prod OR staging OR qa OR dev)"),
        // Quoted values and escaping.
        ("team:\"data platform\"", "team:data\\ platform"),
        ("team:\"data platform\"", "\"team\":\"data platform\""),
        ("team:data?platform", "team:(\"data platform\" OR data-platform)"),
        ("note:a\\:b", "note:\"a:b\""),
        ("note:a:b", "note:\"a:b\""),
        ("label:\"*star*\"", "label:\\*star\\*"),
        ("fn:f\\(x\\)", "fn:\"f(x)\""),
        ("opt:\\-v", "opt:\"-v\""),
        ("opt:-v", "opt:\"-v\""),
        ("word:\\AND", "word:\"and\""),
        // Bare terms: hostname, a tag's value or a whole tag.
        ("env\\:staging", "env:staging"),
        ("\"env:staging\"", "env:staging"),
        ("WIN-STAGING-2", "hostname:win-staging-2"),
        // Case: keys and values fold, operators do not.
        ("ENV:PROD", "env:prod"),
        ("Team:\"Data Platform\"", "team:\"data platform\""),
    ])
    func equivalentQueriesMatchTheSameHosts(left: String, right: String) throws {
        let hosts = try matching(left)
        #expect(!hosts.isEmpty, "\(left) matches no host")
        #expect(hosts == (try matching(right)), "\(left) ≢ \(right)")
    }

    @Test func quotesAndEscapesTakeWildcardsLiterally() throws {
        #expect(try matching("label:*star*") == ["qa-2", "qa-3"])
        #expect(try matching("label:\"*star*\"") == ["qa-2"])
        #expect(try matching("label:\\*star\\*") == ["qa-2"])
        #expect(try matching("label:\\*star*") == ["qa-2"])
    }

    @Test func operatorsAreUpperCaseOnly() throws {
        // Lower-case `or` is a term (no host is named or tagged "or"), joined by implicit AND.
        #expect(try matching("env:prod or env:staging").isEmpty)
        #expect(try matching("env:prod OR env:staging").count == 12)
        #expect(try matching("not env:prod").isEmpty)
        // A quoted or escaped operator is a value.
        #expect(try matching("word:\"AND\"") == ["qa-2"])
    }

    @Test func aValueGroupAppliesItsKeyToEveryValue() throws {
        #expect(try HostQuery.parse("env:(prod OR staging)") == HostQuery.parse("env:prod OR env:staging"))
        #expect(try HostQuery.parse("ENV:(prod -staging)") == HostQuery.parse("env:prod AND NOT env:staging"))
        #expect(try HostQuery.parse("service:(a OR b) team:(c)").keys == ["service", "team"])
        #expect(try !HostQuery.parse("service:(a OR b)").hasBareTerm)
    }

    @Test(arguments: [
        ("env:(prod OR", 13, "expected a term after 'OR' but the query ended"),
        ("env:(prod OR)", 13, "expected a term after 'OR' but found ')'"),
        ("env:(prod", 5, "unbalanced '(': no matching ')'"),
        ("env:(prod))", 11, "unbalanced ')'"),
        ("env:()", 6, "empty parentheses"),
        ("env:(service:web)", 6, "'env:(…)' holds values, not the term 'service:web'"),
        ("env:(prod OR region:(eu-west-1))", 14, "'env:(…)' holds values, not the key 'region:'"),
        ("env:prod -", 11, "expected a term after '-' but the query ended"),
        ("env:prod - service:web", 10, "'-' must be written right before the term it excludes"),
        ("-(env:prod", 2, "unbalanced '(': no matching ')'"),
        ("NOT OR env:prod", 5, "expected a term after 'NOT' but found 'OR'"),
        ("env:prod NOT", 13, "expected a term after 'NOT' but the query ended"),
        ("env:prod\\", 9, "'\\' at the end of the query has nothing to escape"),
        ("env:pro\"d\"", 8, "unexpected '\"' inside a value"),
        ("team:\"data platform", 6, "unterminated quoted value"),
        ("*:prod", 1, "a tag key cannot hold wildcards"),
        ("se?vice:web", 3, "a tag key cannot hold wildcards"),
        (
            "version:>7", 9,
            "'>' would start a range or comparison, which host queries do not support (write '\\>' for the character)"
        ),
        (
            "version:[1 TO 2]", 9,
            "'[' would start a range or comparison, which host queries do not support (write '\\[' for the character)"
        ),
        ("!env:prod", 1, "'!' is not an operator here: negate with '-' or 'NOT' (write '\\!' for the character)"),
        ("env:prod && service:web", 10, "'&&' is not an operator here: use 'AND' (write '\\&' for the character)"),
        ("env:prod || service:web", 10, "'||' is not an operator here: use 'OR' (write '\\|' for the character)"),
        ("env:prod service=web", 17, "'=' is a special character: write '\\=' for the character"),
    ])
    func invalidQueriesNameThePosition(query: String, position: Int, reason: String) {
        #expect(throws: FleetError.invalidQuery(query: query, position: position, reason: reason)) {
            try HostQuery.parse(query)
        }
    }

    @Test func escapedSpecialCharactersAreValues() throws {
        for query in ["version:\\>7", "x:\\[1\\]", "\\!env", "a\\=b", "a\\&\\&b", "x:a\\ b", "x:\\(y\\)", "x:\\\\"] {
            #expect(throws: Never.self, "\(query)") { try HostQuery.parse(query) }
        }
        let host = SimulatedHost(
            agentKey: "k", hostname: "h", tags: [Tag(parsing: "cmp:>7"), Tag(parsing: "path:a\\b")], packages: [:])
        #expect(try HostQuery.parse("cmp:\\>7").matches(host))
        #expect(try HostQuery.parse("path:a\\\\b").matches(host))
        #expect(try HostQuery.parse("path:\"a\\\\b\"").matches(host))
    }
}
