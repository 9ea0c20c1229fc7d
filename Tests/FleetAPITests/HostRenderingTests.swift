import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// A deployment page's host entries reuse the rendered end of the previous entry when the state and
/// versions match: every entry must still say exactly what its own host operation and host hold.
@Suite struct HostRenderingTests {
    private func expectPageMatchesTheSimulation(_ api: APIHarness, deploymentID: String, limit: Int = 50) throws {
        let response = api.send("GET", "/api/unstable/fleet/deployments/\(deploymentID)?limit=\(limit)")
        #expect(response.status == 200)
        let hosts = try #require(try api.json(response)["data"]?["attributes"]?["hosts"]?.arrayValue)
        let simulation = api.application.simulation
        let deployment = try #require(simulation.deployment(id: deploymentID))
        #expect(hosts.count == min(limit, deployment.operations.count))
        for (position, entry) in hosts.enumerated() {
            let operation = deployment.operations[position]
            #expect(entry["hostname"] == .string(operation.hostname))
            #expect(entry["status"] == .string(operation.state.rawValue))
            #expect(entry["error"] == .string(operation.error))
            let current = simulation.host(agentKey: operation.hostKey)?.packages["datadog-agent"] ?? ""
            #expect(
                entry["versions"]
                    == .array([
                        .object([
                            "package_name": .string("datadog-agent"),
                            "initial_version": .string(operation.initialVersions[0]),
                            "current_version": .string(current), "target_version": .string("7.53.0"),
                        ])
                    ]))
        }
    }

    @Test func everyHostEntrySaysItsOwnStateAndVersions() throws {
        let api = APIHarness()
        let first = try api.trigger()
        try expectPageMatchesTheSimulation(api, deploymentID: first)
        // Mixed states: some hosts done (one failed), some running, the rest pending.
        var mostStatesAtOnce = 0
        for _ in 0..<20 {
            #expect(api.advanceClock(seconds: 15).status == 200)
            try expectPageMatchesTheSimulation(api, deploymentID: first)
            try expectPageMatchesTheSimulation(api, deploymentID: first, limit: 3)
            let states = Set(try #require(api.application.simulation.deployment(id: first)).operations.map(\.state))
            mostStatesAtOnce = max(mostStatesAtOnce, states.count)
        }
        #expect(mostStatesAtOnce >= 3)
        #expect(api.application.simulation.deployment(id: first)?.status == .failed)
        // A second deployment over hosts the first upgraded: initial and current versions now differ by host.
        let second = try api.trigger()
        try expectPageMatchesTheSimulation(api, deploymentID: second)
    }
}
