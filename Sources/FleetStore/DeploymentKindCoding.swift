import CSQLite
import FleetDomain
import FleetJSON

/// How a deployment's kind is stored: a name and a JSON payload (target packages or file operations).
enum DeploymentKindCoding {
    static func encode(_ kind: DeploymentKind) -> (String, JSONValue) {
        switch kind {
        case .upgrade(let targets):
            return (
                "upgrade", .array(targets.map { .object(["name": .string($0.name), "version": .string($0.version)]) })
            )
        case .configure(let operations):
            return (
                "configure",
                .array(
                    operations.map { operation in
                        var members: [String: JSONValue] = [
                            "file_op": .string(operation.fileOp.rawValue), "file_path": .string(operation.filePath),
                        ]
                        if let patch = operation.patch { members["patch"] = patch }
                        return .object(members)
                    })
            )
        }
    }

    static func decode(kind: String, payload: JSONValue) throws(SQLiteError) -> DeploymentKind {
        let items = payload.arrayValue ?? []
        switch kind {
        case "upgrade":
            return .upgrade(
                items.map {
                    PackageTarget(name: $0["name"]?.stringValue ?? "", version: $0["version"]?.stringValue ?? "")
                })
        case "configure":
            return .configure(
                items.map {
                    ConfigOperation(
                        fileOp: ConfigOperation.FileOp(rawValue: $0["file_op"]?.stringValue ?? "") ?? .mergePatch,
                        filePath: $0["file_path"]?.stringValue ?? "", patch: $0["patch"])
                })
        default:
            throw SQLiteError(code: SQLITE_CORRUPT, message: "unknown deployment kind '\(kind)'", context: "loading")
        }
    }
}
