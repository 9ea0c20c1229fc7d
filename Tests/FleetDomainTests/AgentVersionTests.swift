import FleetDomain
import FleetTestSupport
import Testing

@Suite struct AgentVersionTests {
    @Test func ordersBySemanticVersionPrecedence() {
        let texts = ["7.10.0", "7.9.1", "7.52.0-rc.1", "7.52.0", "6.53.1", "7.52.0-rc.10", "7.52.0-rc.2"]
        let sorted = texts.compactMap(AgentVersion.init).sorted().map(\.text)
        #expect(sorted == ["6.53.1", "7.9.1", "7.10.0", "7.52.0-rc.1", "7.52.0-rc.2", "7.52.0-rc.10", "7.52.0"])
    }

    @Test func rejectsWhatIsNotAVersion() {
        for text in ["7.52", "7.52.x", "", "v7.52.0", "7.52.0-", "-1.0.0"] {
            #expect(AgentVersion(text) == nil, "\(text)")
        }
    }

    @Test func versionToLatestPicksTheNewestReleaseOfTheMajor() throws {
        #expect(try TestFleet.catalog.version(forVersionToLatest: 0).text == "7.53.0")
        #expect(try TestFleet.catalog.version(forVersionToLatest: 1).text == "6.53.1")
        #expect(try TestFleet.catalog.version(forVersionToLatest: 2).text == "5.32.9")
    }

    @Test func missingMajorIsAnError() {
        #expect(throws: FleetError.noVersionForStrategy(versionToLatest: 3, major: 4)) {
            try TestFleet.catalog.version(forVersionToLatest: 3)
        }
    }
}
