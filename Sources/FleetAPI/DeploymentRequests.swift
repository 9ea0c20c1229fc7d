import FleetDomain
import FleetJSON

/// Reads the bodies of CreateFleetDeploymentConfigure and CreateFleetDeploymentUpgrade.
enum DeploymentRequests {
    struct Draft {
        let kind: DeploymentKind
        let filterQuery: String
        /// v2 configure only: validate and describe, create nothing.
        let dryRun: Bool
    }

    /// `filterQueryRequired`: v2 requires it; the unstable surface defaults to every host.
    static func configure(from input: RequestInput, filterQueryRequired: Bool = false) throws(FleetError) -> Draft {
        let data = try input.dataObject()
        try data.resourceType("deployment")
        guard let attributes = try data.object("attributes", required: true) else {
            throw FleetError.invalidField(path: "data.attributes", reason: "is required")
        }
        guard let items = try attributes.array("config_operations", required: true) else {
            throw FleetError.invalidField(path: attributes.path("config_operations"), reason: "is required")
        }
        var operations: [ConfigOperation] = []
        for (index, item) in items.enumerated() {
            let fields = try JSONFields(item, path: attributes.path("config_operations") + "[\(index)]")
            guard let fileOp = try fields.enumeration("file_op", as: ConfigOperation.FileOp.self, required: true),
                let filePath = try fields.string("file_path", required: true)
            else { throw FleetError.invalidField(path: fields.path, reason: "is incomplete") }
            operations.append(ConfigOperation(fileOp: fileOp, filePath: filePath, patch: try fields.value("patch")))
        }
        return Draft(
            kind: .configure(operations),
            filterQuery: try attributes.string("filter_query", required: filterQueryRequired) ?? "",
            dryRun: try attributes.bool("dry_run") ?? false)
    }

    static func upgrade(from input: RequestInput, filterQueryRequired: Bool = false) throws(FleetError) -> Draft {
        let data = try input.dataObject()
        try data.resourceType("deployment")
        guard let attributes = try data.object("attributes", required: true) else {
            throw FleetError.invalidField(path: "data.attributes", reason: "is required")
        }
        guard let items = try attributes.array("target_packages", required: true) else {
            throw FleetError.invalidField(path: attributes.path("target_packages"), reason: "is required")
        }
        var targets: [PackageTarget] = []
        for (index, item) in items.enumerated() {
            let fields = try JSONFields(item, path: attributes.path("target_packages") + "[\(index)]")
            guard let name = try fields.string("name", required: true),
                let version = try fields.string("version", required: true)
            else { throw FleetError.invalidField(path: fields.path, reason: "is incomplete") }
            targets.append(PackageTarget(name: name, version: version))
        }
        return Draft(
            kind: .upgrade(targets),
            filterQuery: try attributes.string("filter_query", required: filterQueryRequired) ?? "",
            dryRun: try attributes.bool("dry_run") ?? false)
    }
}
