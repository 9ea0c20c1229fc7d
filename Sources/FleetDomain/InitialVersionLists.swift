/// The versions a new deployment finds on its hosts, as the lists its operations keep
/// (`HostOperation.initialVersions`, in `packages` order), each with whether the host is already at
/// or above the upgrade's targets, and so skipped.
///
/// Hosts on the same version of an upgrade's one package share one list: an allocation less per
/// host, and a large deployment holds a handful of lists instead of one per host. Whether a list is
/// at the target is decided once per distinct version (a parse), not per host. A host of an upgrade
/// of several packages has a list of its own; a configuration compares nothing.
struct InitialVersionLists {
    private enum Packages {
        case none, agent, one, several
    }

    private let packages: Packages
    private let targets: [PackageTarget]
    /// The version of the one package, when there is one target.
    private let target: AgentVersion?
    /// The targets' versions, in `targets` order, when there are several: an array less to
    /// allocate for every trigger, which has one.
    private let targetVersions: [AgentVersion?]
    private let catalog: AgentVersionCatalog

    /// The list given last, read from here rather than from the last operation: that read copied
    /// the operation (see HostOperation).
    private var lastList: [String] = []
    private var lastAtTarget = false
    /// The lists of the first distinct versions met, compared in turn: a fleet runs a handful of
    /// versions, and comparing a few short strings is cheaper than hashing one (a twentieth of a
    /// 100-host trigger).
    private(set) var firstLists: [[String]] = []
    private var firstAtTarget: [Bool] = []
    /// The lists of the versions met after those, by version.
    private(set) var laterLists: [String: (list: [String], atTarget: Bool)] = [:]
    static let firstListsLimit = 16

    init(kind: DeploymentKind, catalog: AgentVersionCatalog) {
        self.catalog = catalog
        guard case .upgrade(let targets) = kind else {
            packages = .none
            self.targets = []
            target = nil
            targetVersions = []
            return
        }
        self.targets = targets
        if targets.count == 1 {
            packages = targets[0].name == SimulatedHost.agentPackage ? .agent : .one
            target = Self.version(targets[0].version, in: catalog)
            targetVersions = []
        } else {
            packages = .several
            target = nil
            targetVersions = targets.map { Self.version($0.version, in: catalog) }
        }
    }

    /// The host's initial versions, and whether every one is already at or above its target. The
    /// host is read through `hosts[index]`, by position (see HostOperation).
    mutating func list(forHostAt index: Int, in hosts: [SimulatedHost]) -> (list: [String], atTarget: Bool) {
        switch packages {
        case .none:
            return ([], false)
        case .agent:
            return list(forVersion: hosts[index].agentVersion ?? "")
        case .one:
            return list(forVersion: hosts[index].packages[targets[0].name] ?? "")
        case .several:
            let list = targets.map { hosts[index].packages[$0.name] ?? "" }
            return (list, list.indices.allSatisfy { isAtOrAbove(list[$0], targetVersions[$0]) })
        }
    }

    /// The shared list of hosts on `version` of the one package.
    private mutating func list(forVersion version: String) -> (list: [String], atTarget: Bool) {
        if lastList.first == version {
            // Neighbours often share a version: no lookup.
            return (lastList, lastAtTarget)
        }
        if let found = firstLists.firstIndex(where: { $0[0] == version }) {
            remember(firstLists[found], atTarget: firstAtTarget[found])
        } else if let later = laterLists[version] {
            remember(later.list, atTarget: later.atTarget)
        } else {
            remember([version], atTarget: isAtOrAbove(version, target))
            if firstLists.count < Self.firstListsLimit {
                firstLists.append(lastList)
                firstAtTarget.append(lastAtTarget)
            } else {
                laterLists[version] = (lastList, lastAtTarget)
            }
        }
        return (lastList, lastAtTarget)
    }

    private mutating func remember(_ list: [String], atTarget: Bool) {
        lastList = list
        lastAtTarget = atTarget
    }

    /// Whether `installed` is at or above `target`, reading `installed` from the catalogue when it
    /// is there: parsing a version allocates.
    private func isAtOrAbove(_ installed: String, _ target: AgentVersion?) -> Bool {
        FleetSimulation.isAtOrAbove(installed.isEmpty ? nil : Self.version(installed, in: catalog), target)
    }

    /// `text` as a version: the catalogue's own if it has it (compared by text), else parsed.
    private static func version(_ text: String, in catalog: AgentVersionCatalog) -> AgentVersion? {
        // By index, as for host operations (see HostOperation): `first(where:)` copied each version.
        for index in catalog.versions.indices where catalog.versions[index].text == text {
            return catalog.versions[index]
        }
        return AgentVersion(text)
    }
}
