import FleetJSON
import Testing

@Suite struct YAMLWriterTests {
    @Test func rendersNestedObjectsAndListsSorted() throws {
        let config = try JSONParser.parse(
            Array(
                #"""
                {"site": "datadoghq.com", "log_level": "info", "apm_config": {"enabled": true, "env": ""},
                 "instances": [{"host": "localhost", "port": 5432}, {"host": "db"}], "tags": ["a:b", "c"], "empty": {}}
                """#.utf8))
        #expect(
            YAMLWriter.render(config) == """
                apm_config:
                  enabled: true
                  env: ""
                empty: {}
                instances:
                  - host: localhost
                    port: 5432
                  - host: db
                log_level: info
                site: datadoghq.com
                tags:
                  - a:b
                  - c

                """)
    }

    @Test(arguments: [
        ("true", #""true""#), ("123", #""123""#), ("1.5", #""1.5""#), ("a: b", #""a: b""#), ("- x", #""- x""#),
        ("#note", ##""#note""##), ("null", #""null""#), ("plain text", "plain text"),
        ("line\nbreak", #""line\nbreak""#),
        ("10.0.0.1", #""10.0.0.1""#), ("ends:", #""ends:""#),
    ])
    func quotesStringsThatPlainYAMLWouldReadDifferently(text: String, expected: String) {
        #expect(YAMLWriter.render(.object(["k": .string(text)])) == "k: \(expected)\n")
    }

    @Test(arguments: [
        ("yes", #""yes""#), ("No", #""No""#), ("Y", #""Y""#), ("On", #""On""#), ("~", #""~""#), ("", #""""#),
        (" lead", #"" lead""#), ("trail ", #""trail ""#), ("a #b", #""a #b""#), ("a#b", "a#b"), ("-x", #""-x""#),
        ("0x1F", #""0x1F""#), ("1_000", #""1_000""#), ("7d", #""7d""#), ("12:30", #""12:30""#), (".NaN", #"".NaN""#),
        ("-.inf", #""-.inf""#), ("v1.2", "v1.2"), ("1.2.3-beta", "1.2.3-beta"), ("it's", "it's"), ("é", "é"),
        ("@home", #""@home""#), ("%x", #""%x""#), ("!tag", #""!tag""#), ("*ref", #""*ref""#), ("[x]", #""[x]""#),
        ("tab\tin", #""tab\tin""#), ("del\u{7F}", "\"del\u{7F}\""),
    ])
    func quotesOnlyWhereNeeded(text: String, expected: String) {
        #expect(YAMLWriter.render(.object(["k": .string(text)])) == "k: \(expected)\n")
    }

    /// Keys follow the same rule as values.
    @Test func quotesKeysAsItQuotesValues() {
        let members: [String: JSONValue] = ["true": .int(1), "": .int(2), "a b": .int(3), "x:": .int(4)]
        #expect(
            YAMLWriter.render(.object(members)) == """
                "": 2
                a b: 3
                "true": 1
                "x:": 4

                """)
    }

    @Test(arguments: [
        (JSONValue.null, "null\n"), (.bool(false), "false\n"), (.int(-3), "-3\n"), (.double(2.5), "2.5\n"),
        (.string("text"), "text\n"), (.string("123"), "\"123\"\n"), (.object([:]), "{}\n"), (.array([]), "[]\n"),
    ])
    func rendersATopLevelScalarOnItsOwnLine(value: JSONValue, expected: String) {
        #expect(YAMLWriter.render(value) == expected)
    }

    @Test func rendersListsOfListsAndObjectsInLists() {
        let value = JSONValue.array([
            .array([.int(1), .array([.string("deep")])]),
            .array([]),
            .object(["a": .object(["b": .int(1)]), "c": .array([.int(2)]), "d": .object([:])]),
        ])
        #expect(
            YAMLWriter.render(value) == """
                -
                  - 1
                  -
                    - deep
                - []
                - a:
                    b: 1
                  c:
                    - 2
                  d: {}

                """)
    }
}
