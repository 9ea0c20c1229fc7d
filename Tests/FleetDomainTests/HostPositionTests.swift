import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// Every operation a simulation holds knows its host's place in the fleet, however the deployment
/// came in: planned, or restored from a document (which carries keys only).
@Suite struct HostPositionTests {
    @Test func plannedAndRestoredOperationsPointAtTheirHosts() throws {
        var fleet = TestFleet.simulation()
        _ = try fleet.trigger(at: TestFleet.start)
        let restoredSnapshot = try FleetSnapshot(
            document: try JSONParser.parse(fleet.snapshot.document.serialized),
            defaultClock: SimulationClock(mode: .manual), defaultSeed: 1)
        #expect(restoredSnapshot.deployments[0].operations.allSatisfy { $0.hostPosition == -1 })
        let restored = FleetSimulation(snapshot: restoredSnapshot, settings: TestFleet.settings)
        for simulation in [fleet, restored] {
            let operations = simulation.deployments[0].operations
            #expect(!operations.isEmpty)
            for operation in operations {
                #expect(simulation.hosts[operation.hostPosition].agentKey == operation.hostKey)
                #expect(
                    simulation.packageVersion(atHost: operation.hostPosition, package: SimulatedHost.agentPackage)
                        == simulation.packageVersion(agentKey: operation.hostKey, package: SimulatedHost.agentPackage))
            }
        }
    }

    @Test func anOperationOfAHostNotInTheFleetHasNoPosition() throws {
        var snapshot = TestFleet.simulation().snapshot
        var fleet = TestFleet.simulation()
        _ = try fleet.trigger(at: TestFleet.start)
        snapshot.deployments = Array(fleet.deployments)
        snapshot.hosts.removeAll { $0.agentKey == fleet.deployments[0].operations[0].hostKey }
        let simulation = FleetSimulation(snapshot: snapshot, settings: TestFleet.settings)
        let operation = simulation.deployments[0].operations[0]
        #expect(operation.hostPosition == -1)
        #expect(simulation.packageVersion(atHost: operation.hostPosition, package: SimulatedHost.agentPackage) == nil)
        #expect(
            simulation.deployments[0].operations.dropFirst().allSatisfy {
                simulation.hosts[$0.hostPosition].agentKey == $0.hostKey
            })
    }
}
