import FleetDomain
import FleetTestSupport
import Testing

@Suite struct AgentVersionTests {
    @Test func ordersBySemanticVersionPrecedence() {
        let texts = ["7.10.0", "7.9.1", "7.52.0-rc.1", "7.52.0", "6.53.1", "7.52.0-rc.10", "7.52.0-rc.2"]
        let sorted = texts.compactMap(AgentVersion.init).sorted().map(\.text)
        #expect(sorted == ["6.53.1", "7.9.1", "7.10.0", "7.52.0-rc.1", "7.52.0-rc.2", "7.52.0-rc.10", "7.52.0"])
    }

    /// A numeric last part is a packaging revision (`7.52.0-1`, Datadog's deb and rpm packages): the
    /// same release packaged again, after the version without one and before the next patch.
    @Test func ordersPackagingRevisionsAfterTheirRelease() {
        let texts = [
            "7.52.1", "7.52.0-2", "7.52.0", "7.52.0-1", "7.52.0-rc.1", "7.52.0-rc.1-1", "7.52.0-10", "7.51.1-1",
        ]
        let sorted = texts.compactMap(AgentVersion.init).sorted().map(\.text)
        #expect(
            sorted == [
                "7.51.1-1", "7.52.0-rc.1", "7.52.0-rc.1-1", "7.52.0", "7.52.0-1", "7.52.0-2", "7.52.0-10", "7.52.1",
            ])
        let revised = AgentVersion("7.52.0-1")
        #expect(revised?.revision == 1 && revised?.prerelease == [] && revised?.isPrerelease == false)
        #expect(AgentVersion("7.52.0-rc.2")?.revision == nil)
        #expect(AgentVersion("7.52.0") != AgentVersion("7.52.0-1"))
        #expect(AgentVersion("0.10.0")! > AgentVersion("0.9.2-1")!)
    }

    @Test func versionToLatestStillPicksTheNewestReleaseWithRevisionsInTheCatalogue() throws {
        let catalog = AgentVersionCatalog(
            ["7.52.0", "7.52.0-1", "7.51.0", "6.53.1-2", "6.53.1", "7.53.0-rc.1"].compactMap(AgentVersion.init))
        #expect(catalog.versions.map(\.text) == ["7.53.0-rc.1", "7.52.0-1", "7.52.0", "7.51.0", "6.53.1-2", "6.53.1"])
        #expect(try catalog.version(forVersionToLatest: 0).text == "7.52.0-1")
        #expect(try catalog.version(forVersionToLatest: 1).text == "6.53.1-2")
        #expect(catalog.contains("7.52.0-1") && !catalog.contains("7.52.1-1"))
    }

    @Test func rejectsWhatIsNotAVersion() {
        for text in ["7.52", "7.52.x", "", "v7.52.0", "7.52.0-", "-1.0.0", "7.52-1", "7.52.0--1", "7.52.0-rc..1-1"] {
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
