import FleetJSON
import Testing

@Suite struct YAMLWriterTests {
    @Test func rendersNestedObjectsAndListsSorted() throws {
        let config = try JSONParser.parse(Array(#"""
            {"site": "datadoghq.com", "log_level": "info", "apm_config": {"enabled": true, "env": ""},
             "instances": [{"host": "localhost", "port": 5432}, {"host": "db"}], "tags": ["a:b", "c"], "empty": {}}
            """#.utf8))
        #expect(YAMLWriter.render(config) == """
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
        ("#note", ##""#note""##), ("null", #""null""#), ("plain text", "plain text"), ("line\nbreak", #""line\nbreak""#),
        ("10.0.0.1", #""10.0.0.1""#), ("ends:", #""ends:""#),
    ])
    func quotesStringsThatPlainYAMLWouldReadDifferently(text: String, expected: String) {
        #expect(YAMLWriter.render(.object(["k": .string(text)])) == "k: \(expected)\n")
    }
}
