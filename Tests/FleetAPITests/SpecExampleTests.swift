import FleetAPI
import FleetDomain
import FleetJSON
import FleetTestSupport
import Foundation
import Testing

/// Every request example of Datadog's OpenAPI documents (the copies in `Tests/client/spec/`) is
/// accepted on the bundled fleet (`Fixtures/fleet.json`), on the unstable path the spec gives and on
/// its `/api/v2/` counterpart where FleetMock serves one.
@Suite struct SpecExampleTests {
    static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    static let specFiles = ["fleet-automation-openapi.yaml", "fleet-tracers-openapi.yaml"]

    struct Example: CustomStringConvertible {
        let operationID: String
        let name: String
        let method: String
        let path: String
        let body: JSONValue
        var description: String { "\(operationID) \(name)" }
    }

    static func spec(_ file: String) throws -> JSONValue {
        let path = packageRoot + "/Tests/client/spec/" + file
        let text = try #require(
            FileManager.default.contents(atPath: path).flatMap { String(bytes: $0, encoding: .utf8) })
        return try SpecYAML.parse(text)
    }

    /// Every `requestBody` example of every operation of both documents, in a stable order.
    static func examples() throws -> [Example] {
        var found: [Example] = []
        for file in specFiles {
            let paths = try #require(try spec(file)["paths"]?.objectValue, "\(file) has no paths")
            for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
                for (method, operation) in (item.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard let content = operation["requestBody"]?["content"]?.objectValue else { continue }
                    let operationID = operation["operationId"]?.stringValue ?? "\(method) \(path)"
                    for (_, media) in content.sorted(by: { $0.key < $1.key }) {
                        if let single = media["example"] {
                            found.append(
                                Example(
                                    operationID: operationID, name: "example", method: method.uppercased(), path: path,
                                    body: single))
                        }
                        for (name, example) in (media["examples"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                            let body = try #require(example["value"], "\(operationID) example \(name) has no value")
                            found.append(
                                Example(
                                    operationID: operationID, name: name, method: method.uppercased(), path: path,
                                    body: body))
                        }
                    }
                }
            }
        }
        return found
    }

    static let fleetJSON: [UInt8] = {
        Array(FileManager.default.contents(atPath: packageRoot + "/Fixtures/fleet.json") ?? Data())
    }()

    /// A fresh application over the bundled fleet: examples never see each other's deployments.
    static func application() throws -> FleetApplication {
        let clock = SimulationClock(mode: .manual, manualNow: TestFleet.start)
        let snapshot = try Fixture.fleet(fromJSON: fleetJSON, clock: clock, seed: 42)
        let credentials = Credentials(
            apiKeys: [.init(key: APIHarness.apiKey, name: "test")],
            applicationKeys: [
                .init(
                    key: APIHarness.allKey, name: "all", owner: "a@example.com",
                    permissions: ["hosts_read", "agent_upgrade_write", "fleet_policies_write"])
            ])
        return try! FleetApplication(
            simulation: FleetSimulation(snapshot: snapshot, settings: TestFleet.settings),
            persistence: RecordingPersistence(),
            credentials: credentials, rateLimit: .standard, loadFixtures: { snapshot },
            orgHosting: InMemoryOrgHosting(),
            log: { _ in })
    }

    static func send(_ application: FleetApplication, _ method: String, _ target: String, body: JSONValue? = nil)
        -> APIResponse
    {
        var bodyBytes: [UInt8] = []
        if let body {
            var writer = JSONWriter()
            writer.value(body)
            bodyBytes = writer.bytes
        }
        let response = application.handle(
            APIRequest(
                method: method, target: target,
                headers: [("DD-API-KEY", APIHarness.apiKey), ("dd-application-key", APIHarness.allKey)], body: bodyBytes
            ),
            wallNow: TestFleet.start)
        _ = application.finishPass()
        return response
    }

    /// `{parameter}` replaced by a real id of the bundled fleet: the spec's own values
    /// (`abc-def-ghi-123`) are placeholders.
    static func target(_ template: String, in application: FleetApplication) throws -> String {
        var target = template
        if target.contains("{agent_key}") {
            let agents = try JSONParser.parse(
                send(application, "GET", "/api/unstable/fleet/agents?page_size=1").bodyBytes)
            let key = try #require(
                agents["data"]?["attributes"]?["agents"]?.arrayValue?.first?["agent_key"]?.stringValue)
            target = target.replacingOccurrences(of: "{agent_key}", with: key)
        }
        if target.contains("{id}") {
            let schedules = try JSONParser.parse(send(application, "GET", "/api/unstable/fleet/schedules").bodyBytes)
            let id = try #require(schedules["data"]?.arrayValue?.first?["id"]?.stringValue)
            target = target.replacingOccurrences(of: "{id}", with: id)
        }
        if target.contains("{deployment_id}") {
            let schedules = try JSONParser.parse(send(application, "GET", "/api/unstable/fleet/schedules").bodyBytes)
            let id = try #require(schedules["data"]?.arrayValue?.first?["id"]?.stringValue)
            let trigger = send(application, "POST", "/api/unstable/fleet/schedules/\(id)/trigger")
            let deployment = try #require(try JSONParser.parse(trigger.bodyBytes)["data"]?["id"]?.stringValue)
            target = target.replacingOccurrences(of: "{deployment_id}", with: deployment)
        }
        #expect(!target.contains("{"), "unsubstituted path parameter in \(target)")
        return target
    }

    /// The routes FleetMock serves, as "METHOD path-template".
    static func routes() throws -> Set<String> {
        let body = try JSONParser.parse(send(try application(), "GET", "/__fleetmock/routes").bodyBytes)
        let routes = try #require(body["routes"]?.arrayValue)
        return Set(
            routes.compactMap { route in
                guard let method = route["method"]?.stringValue, let path = route["path"]?.stringValue else {
                    return nil
                }
                return "\(method) \(path)"
            })
    }

    @Test func bothSpecDocumentsAreReadAndHoldTheExpectedExamples() throws {
        for file in Self.specFiles {
            let document = try Self.spec(file)
            #expect(document["openapi"]?.stringValue?.hasPrefix("3.") == true, "\(file)")
            #expect((document["paths"]?.objectValue?.count ?? 0) > 0, "\(file)")
        }
        let examples = try Self.examples()
        // Datadog's document as copied: 5 configure, 2 upgrade, 2 create-schedule and 3 update-schedule
        // examples; the tracers document has no request body. A change here means the copy changed.
        #expect(examples.count == 12, "\(examples)")
        let upgrade = try #require(examples.first { $0.name == "upgrade_multiple_packages" })
        let packages = upgrade.body["data"]?["attributes"]?["target_packages"]?.arrayValue ?? []
        #expect(packages.compactMap { $0["version"]?.stringValue } == ["7.52.0-1", "0.10.0"])
    }

    @Test func everyRequestExampleIsAcceptedOnBothSurfaces() throws {
        let served = try Self.routes()
        var sent = 0
        for example in try Self.examples() {
            var surfaces = [example.path]
            let v2 = example.path.replacingOccurrences(of: "/api/unstable/", with: "/api/v2/")
            if v2 != example.path, served.contains("\(example.method) \(v2)") { surfaces.append(v2) }
            #expect(served.contains("\(example.method) \(example.path)"), "\(example) is not routed")
            for path in surfaces {
                let application = try Self.application()
                let target = try Self.target(path, in: application)
                let response = Self.send(application, example.method, target, body: example.body)
                #expect(
                    (200..<300).contains(response.status),
                    "\(example) on \(example.method) \(target): \(response.status) \(response.bodyText)")
                sent += 1
            }
        }
        // 12 examples on their unstable paths, and configure (5) and upgrade (2) again under /api/v2/.
        #expect(sent == 19)
    }
}
