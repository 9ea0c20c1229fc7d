/// The fields deployments can be sorted by (v2's `sort`), in the order a refusal lists them.
public enum DeploymentSortField: String, Sendable, CaseIterable {
    /// Creation order (`sequence`).
    case createdAt = "created_at"
    /// When the first host started; a deployment not started yet sorts after every started one.
    case startDate = "start_date"
    /// The status's name, alphabetically.
    case status
    /// How many hosts the deployment targets.
    case totalHosts = "total_hosts"
}

/// Which part of the ordered list a request wants.
public enum DeploymentPage: Equatable, Sendable {
    /// Page `number`, counted from 0, of `size` deployments (v2's `page_number`).
    case number(Int, size: Int)
    /// `size` deployments after the first `offset` (the unstable surface's `page_offset`).
    case offset(Int, size: Int)
}

/// A page of deployments: which ones, in which order. By default every deployment, newest first.
public struct DeploymentListRequest: Sendable {
    /// The fields `filter` may name, each a deployment's `key:value` field.
    public static let filterFields = ["status", "update_type", "schedule_id", "author"]

    /// Matched against each deployment's `filterFields`, its id as the name.
    public var filter: HostQuery
    public var sort: DeploymentSortField
    /// Oldest or smallest first; equal values follow creation order in the same direction.
    public var ascending: Bool
    public var page: DeploymentPage

    public init(
        filter: HostQuery = .all, sort: DeploymentSortField = .createdAt, ascending: Bool = false,
        page: DeploymentPage = .number(0, size: 10)
    ) {
        self.filter = filter
        self.sort = sort
        self.ascending = ascending
        self.page = page
    }
}

extension Deployment {
    /// What the deployment changes, as v2's `update_type` names it: `update_package` for an
    /// upgrade, `update_config_operations` for a configuration change.
    public var updateType: String {
        if case .configure = kind { return "update_config_operations" }
        return "update_package"
    }
}

extension FleetSimulation {
    /// The requested page, and how many deployments matched the filter before paging. Filters and
    /// sorts positions: only the page's deployments go into the result.
    public func deployments(_ request: DeploymentListRequest) -> (page: [Deployment], filteredCount: Int) {
        // `deployments` is held in creation order (`sequence` increasing): that order is
        // `createdAt`'s, and it breaks the other fields' ties.
        if request.filter == .all, request.sort == .createdAt {
            // Every deployment in creation order, the unstable surface's only listing: the page is
            // read off by position, without a pass over the rest.
            let count = deployments.count
            let page = request.page.positions(among: count)
            return (page.map { deployments[request.ascending ? $0 : count - 1 - $0] }, count)
        }
        var order: [Int] = []  // positions in `deployments`
        for index in deployments.indices {
            let deployment = deployments[index]
            guard request.filter.matches(name: deployment.id, fields: deployment.filterableFields) else { continue }
            order.append(index)
        }
        if request.sort == .createdAt {
            if !request.ascending { order.reverse() }
        } else {
            // Each key computed once, not at every comparison (a status counts the hosts' states).
            let keys = order.map { deployments[$0].sortKey(by: request.sort) }
            var ranks = Array(order.indices)
            ranks.sort { left, right in
                if keys[left] != keys[right] { return request.ascending == (keys[left] < keys[right]) }
                return request.ascending == (order[left] < order[right])
            }
            order = ranks.map { order[$0] }
        }
        return (request.page.positions(among: order.count).map { deployments[order[$0]] }, order.count)
    }
}

extension DeploymentPage {
    /// The page's positions in an ordered list of `count`: empty past the end, when the start does
    /// not fit in an `Int`, and for a negative start or a size below 1.
    func positions(among count: Int) -> Range<Int> {
        let start: Int
        let size: Int
        switch self {
        case .number(let number, let pageSize):
            let product = number.multipliedReportingOverflow(by: pageSize)
            start = product.overflow ? Int.max : product.partialValue
            size = pageSize
        case .offset(let offset, let pageSize):
            start = offset
            size = pageSize
        }
        guard start >= 0, size > 0, start < count else { return 0..<0 }
        return start..<(start + min(size, count - start))
    }
}

/// One deployment's value of a sort field.
enum DeploymentSortKey: Comparable {
    case number(Int64)
    case text(String)
}

extension Deployment {
    /// The `key:value` fields a list filter matches (`DeploymentListRequest.filterFields`).
    var filterableFields: [Tag] {
        [
            Tag(key: "status", value: status.rawValue),
            Tag(key: "update_type", value: updateType),
            Tag(key: "schedule_id", value: scheduleID ?? ""),
            Tag(key: "author", value: author),
        ]
    }

    func sortKey(by field: DeploymentSortField) -> DeploymentSortKey {
        switch field {
        case .createdAt: return .number(sequence)
        case .startDate: return .number(startedAt?.milliseconds ?? Int64.max)
        case .status: return .text(status.rawValue)
        case .totalHosts: return .number(Int64(operations.count))
        }
    }
}
