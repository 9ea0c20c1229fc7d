import FleetDomain

/// What a Datadog operation's handler is given: its input, the org it runs in, the application key
/// calling, the org's simulated now, and the way its changes are made durable.
///
/// Handlers read the org's state as `call.org.simulation.…` at each use, never through a local copy
/// kept across `commit`: a second reference would make applying the changes copy every deployment.
struct OperationCall {
    let input: RequestInput
    let org: Org
    let caller: Credentials.ApplicationKey
    let now: Instant
    let application: FleetApplication

    /// Hands the changes to the store writer, then applies them to the org: no reply leaves before
    /// they are committed, and a failure puts the org's memory back at the pass's end.
    func commit(_ changes: [FleetChange]) throws(FleetError) {
        try application.commit(changes, in: org)
    }

    /// Commits changes that create a deployment and returns it as now stored. Host faults it used
    /// are counted; with immediate progress, its hosts' outcomes are applied at once.
    func commitDeployment(_ changes: [FleetChange]) throws(FleetError) -> Deployment {
        try application.commitDeployment(changes, in: org)
    }

    /// Failures a test forced on the org's hosts, for the deployment being planned.
    var forcedFailures: [String: String] { application.control.faults.forcedFailures(inOrg: org.id) }

    /// A JSON reply whose body the writer thread renders; see `StoreWriter.deferredJSON`.
    func deferredJSON(_ status: Int, render: @escaping @Sendable () -> [UInt8]) -> APIResponse {
        application.storeWriter.deferredJSON(status, render: render)
    }
}

@available(*, unavailable)
extension OperationCall: Sendable {}
