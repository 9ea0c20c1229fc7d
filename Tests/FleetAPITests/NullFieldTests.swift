import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Testing

/// The spec marks no request field nullable: a `null` anywhere in a request body is a 400 naming
/// that field, never "absent" (`"filter_query": null` once created a deployment to every host).
@Suite struct NullFieldTests {
    static let bodies: [(method: String, target: String, body: String)] = [
        (
            "POST", "/api/unstable/fleet/deployments/upgrade",
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "target_packages": [{"name": "datadog-agent", "version": "7.52.1"}]}}}"#
        ),
        (
            "POST", "/api/unstable/fleet/deployments/configure",
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "config_operations": [{"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "debug"}}]}}}"#
        ),
        (
            "POST", "/api/v2/fleet/deployments/upgrade",
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "target_packages": [{"name": "datadog-agent", "version": "7.52.1"}]}}}"#
        ),
        (
            "POST", "/api/v2/fleet/deployments/configure",
            #"{"data": {"type": "deployment", "attributes": {"filter_query": "env:staging", "config_operations": [{"file_op": "merge-patch", "file_path": "/datadog.yaml", "patch": {"log_level": "debug"}}]}}}"#
        ),
        ("POST", "/api/unstable/fleet/schedules", ScheduleWriteTests.validBody),
        ("PATCH", "/api/unstable/fleet/schedules/\(TestFleet.prodSchedule.id)", ScheduleWriteTests.validBody),
    ]

    /// Every member of every object, by its dotted path (array items by their index); not inside
    /// a configure `patch`, whose nulls are RFC 7396 deletions.
    static func paths(of value: JSONValue, prefix: [String] = []) -> [[String]] {
        switch value {
        case .object(let members):
            return members.keys.sorted().flatMap { key -> [[String]] in
                let path = prefix + [key]
                return key == "patch" ? [path] : [path] + paths(of: members[key]!, prefix: path)
            }
        case .array(let items):
            return items.indices.flatMap { paths(of: items[$0], prefix: prefix + [String($0)]) }
        default:
            return []
        }
    }

    static func nulling(_ value: JSONValue, at path: ArraySlice<String>) -> JSONValue {
        guard let head = path.first else { return .null }
        switch value {
        case .object(var members):
            members[head] = nulling(members[head]!, at: path.dropFirst())
            return .object(members)
        case .array(var items):
            let index = Int(head)!
            items[index] = nulling(items[index], at: path.dropFirst())
            return .array(items)
        default:
            return value
        }
    }

    @Test(arguments: bodies.indices)
    func aNullAnywhereIsA400NamingTheFieldAndChangesNothing(index: Int) throws {
        let (method, target, body) = Self.bodies[index]
        let document = try JSONParser.parse(Array(body.utf8))
        let api = APIHarness()
        #expect(api.send(method, target, body: body).status / 100 == 2, "the body itself is valid")
        var checked = 0
        for path in Self.paths(of: document) where path.last.map({ Int($0) == nil }) ?? false {
            let fresh = APIHarness()
            let response = fresh.send(method, target, body: Self.nulling(document, at: path[...]).serializedString)
            let named = path.filter { Int($0) == nil }.joined(separator: ".")
            #expect(response.status == 400, "\(method) \(target) with \(named) null: \(response.status)")
            #expect(fresh.errorMessage(response)?.contains(path.last!) == true, "\(fresh.errorMessage(response) ?? "")")
            #expect(fresh.application.simulation.deployments.isEmpty)
            checked += 1
        }
        #expect(checked >= 5)
    }
}
