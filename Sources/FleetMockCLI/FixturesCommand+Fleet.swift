import FleetDomain
import FleetJSON

/// The fleet `fixtures generate` writes: hosts spread over envs, services and regions, their Agent
/// versions and keys drawn from the seed, and two schedules.
extension FixturesCommand {
    static let versions = [
        "7.53.0", "7.52.1", "7.52.0", "7.51.1", "7.51.0", "7.50.3", "7.50.0", "6.53.1", "6.53.0", "6.52.0", "5.32.9",
        "5.32.8", "5.31.0",
    ]
    static let envs = ["prod", "staging", "dev", "qa"]
    static let services = ["web-frontend", "web-api", "checkout", "payments", "search", "kafka", "postgres"]
    static let regions = ["us-east-1", "us-west-2", "eu-west-1"]

    static func generate(hosts count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var writer = JSONWriter(reservingCapacity: 420 * count + 4096)
        writer.beginObject()
        writer.key("agent_versions")
        writer.beginArray()
        for version in versions { writer.string(version) }
        writer.endArray()
        writer.key("hosts")
        writer.beginArray()
        for index in 0..<count { writeHost(index, random: &random, to: &writer) }
        writer.endArray()
        writer.key("schedules")
        writer.beginArray()
        writeSchedules(to: &writer)
        writer.endArray()
        writer.endObject()
        return writer.bytes + [UInt8(ascii: "\n")]
    }

    /// The host at `index`: its env and service from the index, its region, Agent version and key
    /// drawn in that order.
    private static func writeHost(_ index: Int, random: inout SeededRandom, to writer: inout JSONWriter) {
        let env = envs[index % envs.count]
        let service = services[(index / envs.count) % services.count]
        let region = regions[Int(random.next() % UInt64(regions.count))]
        let hostname = "\(service)-\(env)-\(String(index + 1, radix: 10))"
        // Mostly 7.x, some 6.x and 5.x, as fleets are.
        let draw = random.next() % 100
        let version =
            draw < 85
            ? versions[Int(draw % 7)] : (draw < 95 ? versions[7 + Int(draw % 3)] : versions[10 + Int(draw % 3)])
        writer.beginObject()
        writer.field("agent_key", hex(random.next()) + hex(random.next()))
        writer.field("hostname", hostname)
        writer.key("tags")
        writer.beginArray()
        writer.string("env:\(env)")
        writer.string("service:\(service)")
        writer.string("region:\(region)")
        writer.string(index % 10 == 4 ? "os:windows" : "os:linux")
        if index % 50 == 17 { writer.string("fleetmock_fail:true") }
        writer.endArray()
        writer.key("packages")
        writer.beginObject()
        writer.field("datadog-agent", version)
        writer.endObject()
        writer.key("config_files")
        writer.beginObject()
        writer.key("/datadog.yaml")
        writer.beginObject()
        writer.field("log_level", "info")
        writer.field("site", "datadoghq.com")
        writer.endObject()
        writer.endObject()
        writer.key("attributes")
        writer.beginObject()
        writer.field("cloud_provider", "aws")
        writer.field("first_seen_at", 1_760_000_000_000 + Int64(index) * 60_000)
        writer.key("ip_addresses")
        writer.beginArray()
        writer.string("10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)")
        writer.endArray()
        writer.field("os", index % 10 == 4 ? "windows" : "linux")
        writer.field("remote_agent_management", "enabled")
        writer.field("remote_config_status", "connected")
        writer.endObject()
        writer.endObject()
    }

    /// The two schedules, the same in every generated fleet.
    private static func writeSchedules(to writer: inout JSONWriter) {
        for (id, name, query, versionToLatest) in [
            ("3f2a6c1e-8b4d-4e9a-9c71-5d0e2b7a4f10", "Weekly production Agent upgrades", "env:prod", 0),
            ("b7e4d2a9-1c3f-4a8e-8d25-6f9b0c1e3a27", "Web services, one major behind", "service:web-*", 1),
        ] {
            writer.beginObject()
            writer.field("created_at_unix", 1_764_547_200)
            writer.field("created_by", "demo@fleetmock.example")
            writer.field("id", id)
            writer.field("name", name)
            writer.field("query", query)
            writer.key("rule")
            writer.beginObject()
            writer.key("days_of_week")
            writer.beginArray()
            writer.string("Mon")
            writer.endArray()
            writer.field("maintenance_window_duration", 120)
            writer.field("start_maintenance_window", "02:00")
            writer.field("timezone", "UTC")
            writer.endObject()
            writer.field("status", "active")
            writer.field("version_to_latest", versionToLatest)
            writer.endObject()
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
