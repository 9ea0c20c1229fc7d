/// What a new deployment may ask for, checked before anything is planned. Paths in errors are
/// those of the request body.
extension DeploymentKind {
    static let attributesPath = "data.attributes"

    func validate(catalog: AgentVersionCatalog) throws(FleetError) {
        switch self {
        case .configure(let operations):
            let path = Self.attributesPath + ".config_operations"
            if operations.isEmpty {
                throw FleetError.invalidField(path: path, reason: "must hold at least one operation")
            }
            for (index, operation) in operations.enumerated() {
                try operation.validate(path: path + "[\(index)]")
            }
        case .upgrade(let targets):
            let path = Self.attributesPath + ".target_packages"
            if targets.isEmpty { throw FleetError.invalidField(path: path, reason: "must name at least one package") }
            var seen: Set<String> = []
            for (index, target) in targets.enumerated() {
                // Spelled out only for an error: every trigger validates its package.
                var itemPath: String { path + "[\(index)]" }
                if target.name.trimmingWhitespace().isEmpty {
                    throw FleetError.invalidField(path: itemPath + ".name", reason: "must not be empty")
                }
                // One package, as every trigger has, cannot repeat: no set to build.
                if targets.count > 1, !seen.insert(target.name).inserted {
                    throw FleetError.invalidField(path: itemPath + ".name", reason: "'\(target.name)' is named twice")
                }
                if target.version.trimmingWhitespace().isEmpty {
                    throw FleetError.invalidField(path: itemPath + ".version", reason: "must not be empty")
                }
                // The Agent's versions are known: a version outside the catalogue cannot be installed.
                if target.name == SimulatedHost.agentPackage,
                    !catalog.versions.contains(where: { $0.text == target.version })
                {
                    let known = catalog.versions.prefix(5).map(\.text).joined(separator: ", ")
                    throw FleetError.invalidField(
                        path: itemPath + ".version",
                        reason:
                            "'\(target.version)' is not an available \(SimulatedHost.agentPackage) version (newest: \(known))"
                    )
                }
            }
        }
    }
}

extension ConfigOperation {
    func validate(path: String) throws(FleetError) {
        guard filePath.hasPrefix("/") else {
            throw FleetError.invalidField(
                path: path + ".file_path", reason: "must be an absolute path, got '\(filePath)'")
        }
        if filePath.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw FleetError.invalidField(path: path + ".file_path", reason: "must not contain '.' or '..' segments")
        }
        switch fileOp {
        case .mergePatch:
            guard let patch else {
                throw FleetError.invalidField(path: path + ".patch", reason: "is required when file_op is merge-patch")
            }
            guard patch.objectValue != nil else {
                throw FleetError.invalidField(path: path + ".patch", reason: "must be an object, not \(patch.typeName)")
            }
        case .delete:
            if patch != nil {
                throw FleetError.invalidField(path: path + ".patch", reason: "must not be given when file_op is delete")
            }
        }
    }
}
