import FleetDomain
import FleetJSON

/// JSON for the unstable surface (`/api/unstable/fleet/...`), field for field as in the spec's
/// `FleetDeployment`, `FleetSchedule` and `FleetAgentVersion` schemas.
enum UnstableRendering {
    struct HostPage {
        let page: Int
        let limit: Int
    }

    /// The current versions a page of a deployment's hosts shows, read from the fleet when the page
    /// is asked for: with them the page renders without the fleet, on any thread.
    struct PageVersions: Sendable {
        let page: HostPage
        /// The positions of the operations on the page (empty past the last page).
        let positions: Range<Int>
        let packageCount: Int
        /// Host by host over `positions`, package by package within a host.
        private let versions: [String?]
        /// The page's hostnames, one after another, as UTF-8, and where each ends: a copy, so that
        /// the writer thread does not touch the fleet's hostname strings, which the loop retains
        /// for every deployment it plans. Retaining the same strings from two threads moved their
        /// reference counts between the cores at every trigger (a tenth of the writer's time and
        /// 6% of the loop's were `swift_retain`).
        private let hostnames: [UInt8]
        private let hostnameEnds: [Int]

        init(_ deployment: Deployment, page: HostPage, fleet: FleetSimulation) {
            self.page = page
            let packages = deployment.packages
            // Any page number is accepted: one whose first position overflows is past the end.
            let (product, overflows) = page.page.multipliedReportingOverflow(by: page.limit)
            let first = overflows ? deployment.operations.count : min(product, deployment.operations.count)
            positions = first..<min(first + page.limit, deployment.operations.count)
            packageCount = packages.count
            var versions: [String?] = []
            versions.reserveCapacity(positions.count * packages.count)
            for position in positions {
                for package in packages {
                    // One package, the usual case, by position; several by key, as the v2 surface reads them.
                    versions.append(
                        packages.count == 1
                            ? fleet.packageVersion(
                                atHost: deployment.operations[position].hostPosition, package: package.name)
                            : fleet.packageVersion(
                                agentKey: deployment.operations[position].hostKey, package: package.name))
                }
            }
            self.versions = versions
            var hostnames: [UInt8] = []
            hostnames.reserveCapacity(positions.count * 24)
            var hostnameEnds: [Int] = []
            hostnameEnds.reserveCapacity(positions.count)
            for position in positions {
                let hostname = deployment.operations[position].hostname
                if hostname.utf8.withContiguousStorageIfAvailable({ hostnames.append(contentsOf: $0) }) == nil {
                    hostnames.append(contentsOf: hostname.utf8)
                }
                hostnameEnds.append(hostnames.count)
            }
            self.hostnames = hostnames
            self.hostnameEnds = hostnameEnds
        }

        /// The hostname of the operation at `position` (on the page), as UTF-8.
        func withHostname<Result>(atPosition position: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
            let index = position - positions.lowerBound
            let start = index == 0 ? 0 : hostnameEnds[index - 1]
            return hostnames.withUnsafeBufferPointer { all in
                body(UnsafeBufferPointer(rebasing: all[start..<hostnameEnds[index]]))
            }
        }

        func current(atPosition position: Int, package offset: Int) -> String? {
            versions[(position - positions.lowerBound) * packageCount + offset]
        }
    }

    static func deploymentResponse(_ deployment: Deployment, hosts page: HostPage, fleet: FleetSimulation) -> [UInt8] {
        deploymentResponse(deployment, hosts: PageVersions(deployment, page: page, fleet: fleet))
    }

    static func deploymentResponse(_ deployment: Deployment, hosts versions: PageVersions) -> [UInt8] {
        // About 220 bytes a host: sized once rather than grown (and copied) twice for a full page.
        let page = versions.page
        var writer = JSONWriter(reservingCapacity: 1024 + 256 * versions.positions.count)
        writer.beginObject()
        writer.key("data")
        writeDeployment(deployment, hosts: versions, into: &writer)
        let total = deployment.operations.count
        writer.key("meta")
        writer.beginObject()
        writer.key("hosts")
        writer.beginObject()
        writer.field("current_page", page.page)
        writer.field("page_size", page.limit)
        writer.field("total_hosts", total)
        writer.field("total_pages", (total + page.limit - 1) / page.limit)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func deploymentsResponse(_ deployments: [Deployment], totalCount: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * max(1, deployments.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for deployment in deployments {
            writeDeployment(deployment, hosts: nil, into: &writer)
        }
        writer.endArray()
        writer.key("meta")
        writer.beginObject()
        writer.key("page")
        writer.beginObject()
        writer.field("total_count", totalCount)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func writeDeployment(_ deployment: Deployment, hosts: PageVersions?, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        if case .configure(let operations) = deployment.kind {
            writer.key("config_operations")
            writeConfigOperations(operations, into: &writer)
        }
        writer.field("estimated_end_time_unix", deployment.estimatedEndTime.unixSeconds)
        writer.field("filter_query", deployment.filterQuery)
        writer.field("high_level_status", deployment.status.rawValue)
        if let hosts {
            writer.key("hosts")
            writer.beginArray()
            // By position (see HostOperation).
            let packages = deployment.packages
            var tails: [HostTail] = []
            for position in hosts.positions {
                writeHost(
                    at: position, of: deployment, packages: packages, versions: hosts, reusing: &tails, into: &writer)
            }
            writer.endArray()
        }
        if case .upgrade(let targets) = deployment.kind {
            writer.key("packages")
            writer.beginArray()
            for target in targets {
                writer.beginObject()
                writer.field("name", target.name)
                writer.field("version", target.version)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.field("total_hosts", deployment.operations.count)
        writer.endObject()
        writer.field("id", deployment.id)
        writer.field("type", "deployment")
        writer.endObject()
    }

    /// The end of a host's entry, after its name: `,"status":…,"versions":[…]}`. The hosts of a
    /// deployment mostly share one of a few (a state, a version before, a version now), so each is
    /// rendered once and copied for the next hosts with the same inputs: rendering was a sixth of a
    /// trigger's time. Kept for upgrades of one package, the usual deployment.
    struct HostTail {
        let state: HostOperationState
        let initialVersions: [String]
        let currentVersion: String?
        let bytes: [UInt8]
    }

    /// Tails kept while one page renders; beyond this many distinct ones, the oldest gives way.
    /// A fleet on a dozen versions has about as many pending tails: 8 evicted one per host.
    private static let tailsKept = 32

    private static func writeHost(
        at position: Int, of deployment: Deployment, packages: [PackageTarget], versions: PageVersions,
        reusing tails: inout [HostTail], into writer: inout JSONWriter
    ) {
        writer.beginObject()
        writer.field("error", deployment.operations[position].error)
        versions.withHostname(atPosition: position) { writer.field("hostname", utf8: $0) }
        let state = deployment.operations[position].state
        let initialVersions = deployment.operations[position].initialVersions
        guard packages.count == 1 else {
            writer.field("status", state.rawValue)
            writer.key("versions")
            writeVersions(initialVersions: initialVersions, packages: packages, into: &writer) {
                versions.current(atPosition: position, package: $0)
            }
            writer.endObject()
            return
        }
        let current = versions.current(atPosition: position, package: 0)
        // By position, as for host operations (see HostOperation): `first(where:)` copied each tail.
        for index in tails.indices
        where tails[index].state == state && tails[index].currentVersion == current
            && tails[index].initialVersions == initialVersions
        {
            writer.append(fragment: tails[index].bytes)
            return
        }
        let start = writer.position
        writer.field("status", state.rawValue)
        writer.key("versions")
        writer.beginArray()
        writeVersion(of: packages[0], initial: initialVersions.first ?? "", current: current, into: &writer)
        writer.endArray()
        writer.endObject()
        if tails.count == tailsKept { tails.removeFirst() }
        let bytes = writer.fragment(from: start)
        tails.append(HostTail(state: state, initialVersions: initialVersions, currentVersion: current, bytes: bytes))
    }

    static func writeConfigOperations(_ operations: [ConfigOperation], into writer: inout JSONWriter) {
        writer.beginArray()
        for operation in operations {
            writer.beginObject()
            writer.field("file_op", operation.fileOp.rawValue)
            writer.field("file_path", operation.filePath)
            if let patch = operation.patch { writer.field("patch", patch) }
            writer.endObject()
        }
        writer.endArray()
    }

    /// A host's `versions`: per deployed package, its version before, now, and the target.
    static func writeVersions(
        initialVersions: [String], packages: [PackageTarget], into writer: inout JSONWriter,
        current: (_ packageOffset: Int) -> String?
    ) {
        writer.beginArray()
        for (offset, target) in packages.enumerated() {
            writeVersion(
                of: target, initial: offset < initialVersions.count ? initialVersions[offset] : "",
                current: current(offset), into: &writer)
        }
        writer.endArray()
    }

    /// One package's entry in a host's `versions`; a host without the package reads its initial version.
    private static func writeVersion(
        of target: PackageTarget, initial: String, current: String?, into writer: inout JSONWriter
    ) {
        writer.beginObject()
        writer.field("current_version", current ?? initial)
        writer.field("initial_version", initial)
        writer.field("package_name", target.name)
        writer.field("target_version", target.version)
        writer.endObject()
    }

    static func scheduleResponse(_ schedule: Schedule) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writer.beginObject()
        writer.key("data")
        writeSchedule(schedule, into: &writer)
        writer.endObject()
        return writer.bytes
    }

    static func schedulesResponse(_ schedules: [Schedule]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * max(1, schedules.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for schedule in schedules { writeSchedule(schedule, into: &writer) }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private static func writeSchedule(_ schedule: Schedule, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.field("created_at_unix", schedule.createdAt.unixSeconds)
        writer.field("created_by", schedule.createdBy)
        writer.field("name", schedule.name)
        writer.field("query", schedule.query)
        writer.key("rule")
        writer.beginObject()
        writer.key("days_of_week")
        writer.beginArray()
        for day in schedule.rule.daysOfWeek { writer.string(day) }
        writer.endArray()
        writer.field("maintenance_window_duration", schedule.rule.maintenanceWindowDuration)
        writer.field("start_maintenance_window", schedule.rule.startMaintenanceWindow)
        writer.field("timezone", schedule.rule.timezone)
        writer.endObject()
        writer.field("status", schedule.status.rawValue)
        writer.field("updated_at_unix", schedule.updatedAt.unixSeconds)
        writer.field("updated_by", schedule.updatedBy)
        writer.field("version_to_latest", schedule.versionToLatest)
        writer.endObject()
        writer.field("id", schedule.id)
        writer.field("type", "schedule")
        writer.endObject()
    }

    static func agentVersionsResponse(_ catalog: AgentVersionCatalog) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 64 * max(1, catalog.versions.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for version in catalog.versions {
            writer.beginObject()
            writer.key("attributes")
            writer.beginObject()
            writer.field("version", version.text)
            writer.endObject()
            writer.field("id", version.text)
            writer.field("type", "agent_version")
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
