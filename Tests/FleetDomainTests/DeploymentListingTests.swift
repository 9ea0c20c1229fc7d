import FleetDomain
import FleetTestSupport
import Testing

/// Listing deployments: the filter over their fields, each sort field both ways (equal values in
/// creation order, in the same direction), and pages by number or by offset.
@Suite struct DeploymentListingTests {
    static let t0 = TestFleet.start

    /// Six deployments, d1 to d6 in creation order, on hosts no two of them share at once:
    ///
    /// | | kind | hosts | created | started | status | author |
    /// |---|---|---|---|---|---|---|
    /// | d1 | upgrade | 1 | t0 | never | canceled | a@ |
    /// | d2 | upgrade | 8 | t0 | t0+5s | running | a@ |
    /// | d3 | configure | 1 | t0 | t0+5s | completed | b@ |
    /// | d4 | upgrade (staging schedule) | 2 | t0+10s | t0+15s | completed | |
    /// | d5 | configure | 1 | t0+10s | t0+15s | failed | b@ |
    /// | d6 | configure | 2 | t0+150s | not yet | pending | a@ |
    struct Listed {
        var fleet = TestFleet.simulation()
        var ids: [String] = []

        init() throws {
            ids.append(try create(Self.agent7530, "service:postgres", author: "a@example.com", at: 0))
            try fleet.cancel(ids[0], at: Self.t0)
            ids.append(try create(Self.agent7530, "service:web-frontend", author: "a@example.com", at: 0))
            ids.append(try create(Self.debugLogs, "service:postgres", author: "b@example.com", at: 0))
            _ = fleet.advance(to: Self.t0.plus(seconds: 10))
            ids.append(try fleet.trigger(TestFleet.stagingSchedule.id, at: Self.t0.plus(seconds: 10)))
            ids.append(try create(Self.debugLogs, "service:checkout", author: "b@example.com", at: 10))
            _ = fleet.advance(to: Self.t0.plus(seconds: 150))
            ids.append(try create(Self.debugLogs, "env:staging", author: "a@example.com", at: 150))
        }

        static let t0 = TestFleet.start
        static let debugLogs = DeploymentKind.configure([
            ConfigOperation(
                fileOp: .mergePatch, filePath: "/datadog.yaml", patch: .object(["log_level": .string("debug")]))
        ])
        static let agent7530 = DeploymentKind.upgrade([
            PackageTarget(name: SimulatedHost.agentPackage, version: "7.53.0")
        ])

        private mutating func create(
            _ kind: DeploymentKind, _ query: String, author: String, at seconds: Int64
        ) throws -> String {
            let changes = try fleet.planDeployment(
                kind: kind, filterQuery: query, author: author, now: Self.t0.plus(seconds: seconds))
            fleet.apply(changes)
            let created = changes.compactMap { change -> String? in
                if case .deploymentCreated(let deployment) = change { return deployment.id }
                return nil
            }
            return try #require(created.first)
        }

        /// `d1`...`d6` for the listed page.
        func names(_ request: DeploymentListRequest) -> [String] {
            fleet.deployments(request).page.map { deployment in
                ids.firstIndex(of: deployment.id).map { "d\($0 + 1)" } ?? deployment.id
            }
        }

        func filtered(_ query: String) throws -> (names: [String], count: Int) {
            let request = DeploymentListRequest(filter: try HostQuery.parse(query), page: .number(0, size: 100))
            return (names(request), fleet.deployments(request).filteredCount)
        }
    }

    @Test func theFleetIsAsDescribed() throws {
        let listed = try Listed()
        let deployments = try listed.ids.map { try #require(listed.fleet.deployment(id: $0)) }
        #expect(deployments.map(\.status) == [.canceled, .running, .completed, .completed, .failed, .pending])
        #expect(deployments.map(\.operations.count) == [1, 8, 1, 2, 1, 2])
        #expect(
            deployments.map(\.startedAt) == [
                nil, Self.t0.plus(seconds: 5), Self.t0.plus(seconds: 5), Self.t0.plus(seconds: 15),
                Self.t0.plus(seconds: 15), nil,
            ])
        #expect(
            deployments.map(\.updateType) == [
                "update_package", "update_package", "update_config_operations", "update_package",
                "update_config_operations", "update_config_operations",
            ])
    }

    @Test func byDefaultEveryDeploymentNewestFirst() throws {
        let listed = try Listed()
        #expect(listed.names(DeploymentListRequest()) == ["d6", "d5", "d4", "d3", "d2", "d1"])
        #expect(listed.fleet.deployments(DeploymentListRequest()).filteredCount == 6)
        #expect(listed.names(DeploymentListRequest(ascending: true)) == ["d1", "d2", "d3", "d4", "d5", "d6"])
    }

    @Test func theFilterMatchesStatusUpdateTypeScheduleAndAuthor() throws {
        let listed = try Listed()
        #expect(try listed.filtered("status:completed") == (["d4", "d3"], 2))
        #expect(try listed.filtered("update_type:update_config_operations") == (["d6", "d5", "d3"], 3))
        #expect(try listed.filtered("schedule_id:\(TestFleet.stagingSchedule.id)") == (["d4"], 1))
        #expect(try listed.filtered("author:a@example.com") == (["d6", "d2", "d1"], 3))
        #expect(try listed.filtered("author:b* -status:failed") == (["d3"], 1))
        #expect(try listed.filtered("status:(pending OR canceled)") == (["d6", "d1"], 2))
        #expect(try listed.filtered("status:running AND update_type:update_config_operations") == ([], 0))
        // What the filter matches is counted before paging.
        let paged = DeploymentListRequest(filter: try HostQuery.parse("author:a*"), page: .number(1, size: 2))
        #expect(listed.names(paged) == ["d1"])
        #expect(listed.fleet.deployments(paged).filteredCount == 3)
    }

    @Test(arguments: [
        (DeploymentSortField.createdAt, ["d1", "d2", "d3", "d4", "d5", "d6"]),
        // Not started sorts last; d2 and d3 started together, as did d4 and d5.
        (.startDate, ["d2", "d3", "d4", "d5", "d1", "d6"]),
        (.status, ["d1", "d3", "d4", "d5", "d6", "d2"]),  // canceled, completed, failed, pending, running
        (.totalHosts, ["d1", "d3", "d5", "d4", "d6", "d2"]),
    ])
    func eachSortFieldBothWaysWithEqualValuesInCreationOrder(field: DeploymentSortField, ascending: [String]) throws {
        let listed = try Listed()
        #expect(listed.names(DeploymentListRequest(sort: field, ascending: true)) == ascending)
        // Descending, equal values go newest first too: the whole order reverses.
        #expect(listed.names(DeploymentListRequest(sort: field, ascending: false)) == ascending.reversed())
    }

    @Test func aSortAppliesToTheFilteredDeploymentsBeforePaging() throws {
        let listed = try Listed()
        let request = DeploymentListRequest(
            filter: try HostQuery.parse("-status:running"), sort: .totalHosts, ascending: false,
            page: .number(0, size: 3))
        #expect(listed.names(request) == ["d6", "d4", "d5"])
        #expect(listed.fleet.deployments(request).filteredCount == 5)
    }

    @Test func pagesByNumber() throws {
        let listed = try Listed()
        #expect(listed.names(DeploymentListRequest(page: .number(0, size: 4))) == ["d6", "d5", "d4", "d3"])
        #expect(listed.names(DeploymentListRequest(page: .number(1, size: 4))) == ["d2", "d1"])
        #expect(listed.names(DeploymentListRequest(page: .number(2, size: 4))) == [])
        #expect(
            listed.names(DeploymentListRequest(sort: .status, ascending: true, page: .number(1, size: 2)))
                == ["d4", "d5"])
        #expect(listed.names(DeploymentListRequest(page: .number(1_000_000_000, size: 100))) == [])
    }

    @Test func aPageNumberTimesSizeBeyondIntIsEmptyNotATrap() throws {
        let listed = try Listed()
        // 2^62 * 4 wraps to 0, and 2^62 + 1 pages of 4 to position 4: neither is the first page.
        let pages = [
            DeploymentPage.number(Int.max, size: 100), .number(1 << 62, size: 4), .number((1 << 62) + 1, size: 4),
        ]
        for page in pages {
            #expect(listed.names(DeploymentListRequest(page: page)) == [])
            #expect(listed.fleet.deployments(DeploymentListRequest(page: page)).filteredCount == 6)
            let filtered = DeploymentListRequest(filter: try HostQuery.parse("status:completed"), page: page)
            #expect(listed.names(filtered) == [])
            #expect(listed.fleet.deployments(filtered).filteredCount == 2)
        }
    }

    @Test func pagesByOffset() throws {
        let listed = try Listed()
        #expect(listed.names(DeploymentListRequest(page: .offset(0, size: 2))) == ["d6", "d5"])
        #expect(listed.names(DeploymentListRequest(page: .offset(1, size: 2))) == ["d5", "d4"])
        #expect(listed.names(DeploymentListRequest(page: .offset(5, size: 10))) == ["d1"])
        #expect(listed.names(DeploymentListRequest(ascending: true, page: .offset(4, size: 10))) == ["d5", "d6"])
        #expect(
            listed.names(DeploymentListRequest(sort: .totalHosts, ascending: true, page: .offset(2, size: 2)))
                == ["d5", "d4"])
    }

    @Test func anOffsetPastTheEndIsEmpty() throws {
        let listed = try Listed()
        for offset in [6, 7, Int.max] {
            let request = DeploymentListRequest(page: .offset(offset, size: 100))
            #expect(listed.names(request) == [])
            #expect(listed.fleet.deployments(request).filteredCount == 6)
        }
        let filtered = DeploymentListRequest(
            filter: try HostQuery.parse("status:completed"), page: .offset(2, size: 10))
        #expect(listed.names(filtered) == [])
        #expect(listed.fleet.deployments(filtered).filteredCount == 2)
    }

    @Test func anEmptyFleetListsNothing() {
        let fleet = TestFleet.simulation()
        let result = fleet.deployments(DeploymentListRequest())
        #expect(result.page.isEmpty && result.filteredCount == 0)
    }
}
