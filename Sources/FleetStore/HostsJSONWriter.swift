import FleetDomain
import FleetJSON

/// Hosts as the store keeps them: JSON in the fixtures' form, read back by `FixtureHostsReader`
/// (which decodes each distinct tags, packages or configuration text once and shares it).
///
/// Hosts in a row repeat the same packages and configuration files: a text equal to the previous
/// host's is reused (values decoded from one text share storage, so most comparisons are
/// immediate).
struct HostsJSONWriter {
    private var lastPackages: [String: String]?
    private var lastPackagesText: [UInt8] = []
    private var lastConfigFiles: [String: JSONValue]?
    private var lastConfigFilesText: [UInt8] = []

    /// One host object, fixture form, into `writer`.
    mutating func write(_ host: SimulatedHost, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("agent_key", host.agentKey)
        writer.field("hostname", host.hostname)
        writer.key("tags")
        writer.beginArray()
        for tag in host.tags {
            if tag.key.isEmpty {
                writer.string(tag.value)
            } else {
                writer.string(tag.key, UInt8(ascii: ":"), tag.value)
            }
        }
        writer.endArray()
        writer.key("packages")
        writer.append(fragment: packages(host.packages))
        writer.key("config_files")
        writer.append(fragment: configFiles(host.configFiles))
        // Attributes are only read back, so their keys keep the dictionary's order.
        writer.key("attributes")
        writer.unorderedValue(host.attributes)
        writer.endObject()
    }

    mutating func packages(_ packages: [String: String]) -> [UInt8] {
        if packages != lastPackages {
            var writer = JSONWriter(reservingCapacity: 64)
            writer.beginObject()
            for name in packages.keys.sorted() {
                writer.dynamicKey(name)
                writer.string(packages[name]!)
            }
            writer.endObject()
            lastPackages = packages
            lastPackagesText = writer.bytes
        }
        return lastPackagesText
    }

    mutating func configFiles(_ files: [String: JSONValue]) -> [UInt8] {
        if files != lastConfigFiles {
            lastConfigFiles = files
            lastConfigFilesText = JSONValue.object(files).serialized
        }
        return lastConfigFilesText
    }
}
