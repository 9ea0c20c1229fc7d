import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport

/// Records what the API persisted; can be told to refuse the next write or commit. Touched by the
/// writer thread between commits and by the test after a pass's end, never both at once.
final class RecordingPersistence: FleetPersistence, @unchecked Sendable {
    var persisted: [[FleetChange]] = []
    var failNextWrite = false
    var replacements: [FleetSnapshot] = []
    /// The committed state, as a store would reload it after writes were lost.
    private var committed: FleetSimulation?
    /// When set, what `loadCommitted` answers instead (a state the test chose to return to).
    var committedState: FleetSnapshot?

    init(holding snapshot: FleetSnapshot? = nil) {
        committed = snapshot.map { FleetSimulation(snapshot: $0, settings: TestFleet.settings) }
    }

    func replaceAll(with snapshot: FleetSnapshot) throws(FleetError) {
        if failNextWrite {
            failNextWrite = false
            throw FleetError.storageFailure(reason: "disk full (test)")
        }
        replacements.append(snapshot)
        committed = FleetSimulation(snapshot: snapshot, settings: TestFleet.settings)
    }

    // Group commit: batched writes wait in `open` until `commitBatch` moves them to `persisted`.
    var open: [[FleetChange]] = []
    var failNextCommit = false

    func persistInBatch(_ changes: [FleetChange]) throws(FleetError) {
        if failNextWrite {
            failNextWrite = false
            throw FleetError.storageFailure(reason: "disk full (test)")
        }
        open.append(changes)
    }

    func commitBatch() throws(FleetError) {
        let batch = open
        open = []
        if failNextCommit {
            failNextCommit = false
            throw FleetError.storageFailure(reason: "I/O error at commit (test)")
        }
        persisted += batch
        for changes in batch { committed?.apply(changes) }
    }

    /// Batches taken back whole (a write inside them failed).
    var rollbacks = 0

    func rollbackBatch() {
        open = []
        rollbacks += 1
    }

    func loadCommitted() throws(FleetError) -> FleetSnapshot? { committedState ?? committed?.snapshot }
}

/// Orgs in memory: each a recording store, its state kept for reopening.
final class InMemoryOrgHosting: OrgHosting {
    var stores: [String: RecordingPersistence] = [:]
    var records: [String: OrgRecord] = [:]
    /// Stores opened, ever (a store removed again still counts).
    var opened = 0

    func openStore(org id: String) throws(FleetError) -> (persistence: FleetPersistence, stored: FleetSnapshot?) {
        opened += 1
        let store = stores[id] ?? RecordingPersistence()
        stores[id] = store
        return (store, store.replacements.last)
    }

    func removeStore(org id: String) { stores[id] = nil }
    func saveRecord(_ record: OrgRecord) throws(FleetError) { records[record.id] = record }
    func deleteRecord(org id: String) throws(FleetError) { records[id] = nil }
}

/// An in-process API over the test fleet with a manual clock: no sockets, no sleeping. Each request
/// is a pass of its own, ended as the transport ends one (its writes committed by the real writer
/// thread, its reply failed if they were lost), unless `endsPasses` is false: the test then ends
/// passes itself with `application.finishPass()`.
struct APIHarness {
    static let apiKey = "test-api-key"
    static let allKey = "test-app-key"
    static let readOnlyKey = "test-readonly-key"
    static let upgradeKey = "test-upgrade-key"

    let application: FleetApplication
    let persistence = RecordingPersistence(holding: TestFleet.simulation().snapshot)
    let orgHosting = InMemoryOrgHosting()
    var wallNow = TestFleet.start
    let endsPasses: Bool
    init(rateLimit: RateLimiter.Settings = .standard, endsPasses: Bool = true) {
        self.endsPasses = endsPasses
        let credentials = Credentials(
            apiKeys: [.init(key: Self.apiKey, name: "test")],
            applicationKeys: [
                .init(
                    key: Self.allKey, name: "all", owner: "a@example.com",
                    permissions: ["hosts_read", "agent_upgrade_write", "fleet_policies_write"]),
                .init(key: Self.readOnlyKey, name: "ro", owner: "r@example.com", permissions: ["hosts_read"]),
                .init(
                    key: Self.upgradeKey, name: "up", owner: "u@example.com",
                    permissions: ["hosts_read", "agent_upgrade_write"]),
            ])
        application = try! FleetApplication(
            simulation: TestFleet.simulation(), persistence: persistence, credentials: credentials,
            rateLimit: rateLimit,
            loadFixtures: { TestFleet.simulation().snapshot }, orgHosting: orgHosting, log: { _ in })
    }

    func send(
        _ method: String, _ target: String, appKey: String? = APIHarness.allKey, apiKey: String? = APIHarness.apiKey,
        body: String? = nil
    ) -> APIResponse {
        var headers: [(name: String, value: String)] = []
        if let apiKey { headers.append(("DD-API-KEY", apiKey)) }
        if let appKey { headers.append(("dd-application-key", appKey)) }
        let response = application.handle(
            APIRequest(method: method, target: target, headers: headers, body: Array((body ?? "").utf8)),
            wallNow: wallNow)
        guard endsPasses, let lost = application.finishPass(), let group = response.commitGroup,
            lost.commitGroups.contains(group)
        else {
            return response
        }
        return lost.reply
    }

    func json(_ response: APIResponse) throws -> JSONValue {
        try JSONParser.parse(response.bodyBytes)
    }

    /// The single message of an error envelope, or nil if the body is not one.
    func errorMessage(_ response: APIResponse) -> String? {
        guard let value = try? JSONParser.parse(response.bodyBytes), let errors = value["errors"]?.arrayValue,
            errors.count == 1
        else { return nil }
        return errors[0].stringValue
    }

    func trigger(_ scheduleID: String = TestFleet.prodSchedule.id) throws -> String {
        let response = send("POST", "/api/unstable/fleet/schedules/\(scheduleID)/trigger")
        guard response.status == 201, let id = try json(response)["data"]?["id"]?.stringValue else {
            throw FleetError.storageFailure(reason: "trigger failed: \(response.status) \(response.bodyText)")
        }
        return id
    }

    func advanceClock(seconds: Int) -> APIResponse {
        send("POST", "/__fleetmock/clock/advance", appKey: nil, apiKey: nil, body: #"{"seconds": \#(seconds)}"#)
    }
}
