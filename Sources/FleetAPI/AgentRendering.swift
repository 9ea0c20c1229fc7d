import FleetDomain
import FleetJSON

/// JSON for agents (the simulated hosts) on both surfaces: the unstable `FleetAgentAttributes` and
/// `FleetAgentInfo`, and v2's `FleetAgentV2` and `FleetAgentDetailV2`.
enum AgentRendering {
    // MARK: Unstable

    static func unstableList(_ hosts: [SimulatedHost], filteredCount: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024 * max(1, hosts.count))
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.key("agents")
        writer.beginArray()
        for host in hosts {
            writer.beginObject()
            writeSummary(host, into: &writer)
            writer.field("datadog_agent_key", host.agentKey)
            writer.key("envs")
            writeStrings(host.tagValues("env"), into: &writer)
            writer.key("tags")
            writeTagObjects(host.tags, into: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        writer.field("id", "done")
        writer.field("type", "status")
        writer.endObject()
        writer.key("meta")
        writer.beginObject()
        writer.field("total_filtered_count", filteredCount)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func unstableDetail(_ host: SimulatedHost) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 4096)
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.key("agent_infos")
        writeInfos(host, v2: false, into: &writer)
        writer.key("configuration_files")
        writeLayer(host, includeParsed: true, into: &writer)
        writer.key("detected_integrations")
        writer.value(host.attributes["detected_integrations"] ?? .array([]))
        writer.key("integrations")
        writeIntegrations(host, v2: false, into: &writer)
        writer.endObject()
        writer.field("id", host.agentKey)
        writer.field("type", "datadog_agent_key")
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    // MARK: v2

    static func v2List(_ hosts: [SimulatedHost], totalCount: Int, filteredCount: Int, tagKeys: [String]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024 * max(1, hosts.count))
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for host in hosts {
            writer.beginObject()
            writer.key("attributes")
            writer.beginObject()
            writeSummary(host, into: &writer)
            writer.key("env")
            writeStrings(host.tagValues("env"), into: &writer)
            writer.key("integrations")
            writeStrings(
                host.attributes["integrations"]?["working"]?.arrayValue?.compactMap(\.stringValue) ?? [], into: &writer)
            writer.key("tags")
            let keys = Set(tagKeys.map { $0.lowercased() })
            writeTagObjects(
                tagKeys.isEmpty ? host.tags : host.tags.filter { keys.contains($0.key.lowercased()) }, into: &writer)
            writer.endObject()
            writer.field("id", host.agentKey)
            writer.field("type", "agent")
            writer.endObject()
        }
        writer.endArray()
        writer.key("meta")
        writer.beginObject()
        writer.key("page")
        writer.beginObject()
        writer.field("total_count", totalCount)
        writer.field("total_filtered_count", filteredCount)
        writer.endObject()
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func v2Detail(_ host: SimulatedHost, includeIntegrations: Bool, includeConfigurationFiles: Bool) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 4096)
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.key("agent_infos")
        writeInfos(host, v2: true, into: &writer)
        if includeConfigurationFiles {
            writer.key("configuration_files")
            writer.beginObject()
            writer.key("agent_configuration")
            writeLayer(host, includeParsed: false, into: &writer)
            writer.endObject()
        }
        if includeIntegrations {
            writer.key("integrations")
            writeIntegrations(host, v2: true, into: &writer)
        }
        writer.endObject()
        writer.field("id", host.agentKey)
        writer.field("type", "agent")
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    // MARK: Parts

    /// The fields both list views share.
    private static func writeSummary(_ host: SimulatedHost, into writer: inout JSONWriter) {
        writer.field("agent_version", host.agentVersion ?? "")
        writer.field("cloud_provider", host.attributeString("cloud_provider") ?? "")
        writer.field("cluster_name", host.attributeString("cluster_name") ?? "")
        writer.key("enabled_products")
        writer.value(host.attributes["enabled_products"] ?? .array([]))
        writer.field("first_seen_at", host.attributes["first_seen_at"]?.intValue ?? 0)
        writer.field("hostname", host.hostname)
        writer.key("ip_addresses")
        writer.value(host.attributes["ip_addresses"] ?? .array([]))
        writer.field("is_single_step_instrumentation_enabled", false)
        writer.field("last_restart_at", host.attributes["last_restart_at"]?.intValue ?? 0)
        writer.field("os", host.attributeString("os") ?? "")
        writer.field("remote_agent_management", host.attributeString("remote_agent_management") ?? "")
        writer.field("remote_config_status", host.attributeString("remote_config_status") ?? "")
        writer.key("services")
        writeStrings(host.tagValues("service"), into: &writer)
        writer.field("team", host.tagValues("team").first ?? "")
    }

    private static func writeInfos(_ host: SimulatedHost, v2: Bool, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("agent_version", host.agentVersion ?? "")
        writer.field("cloud_provider", host.attributeString("cloud_provider") ?? "")
        writer.field("cluster_name", host.attributeString("cluster_name") ?? "")
        writer.field("datadog_agent_key", host.agentKey)
        writer.key("enabled_products")
        writer.value(host.attributes["enabled_products"] ?? .array([]))
        writer.key("env")
        writeStrings(host.tagValues("env"), into: &writer)
        writer.field("first_seen_at", host.attributes["first_seen_at"]?.intValue ?? 0)
        writer.field("hostname", host.hostname)
        writer.key("hostname_aliases")
        writeStrings([], into: &writer)
        writer.field("install_method_installer_version", host.attributeString("install_method_installer_version") ?? "")
        writer.field("install_method_tool", host.attributeString("install_method_tool") ?? "")
        writer.key("ip_addresses")
        writer.value(host.attributes["ip_addresses"] ?? .array([]))
        writer.field("is_single_step_instrumentation_enabled", false)
        writer.field("last_restart_at", host.attributes["last_restart_at"]?.intValue ?? 0)
        writer.field("os", host.attributeString("os") ?? "")
        writer.field("os_version", host.attributeString("os_version") ?? "")
        writer.field("python_version", host.attributeString("python_version") ?? "")
        writer.key("region")
        writeStrings(host.tagValues("region"), into: &writer)
        writer.field("remote_agent_management", host.attributeString("remote_agent_management") ?? "")
        writer.field("remote_config_status", host.attributeString("remote_config_status") ?? "")
        writer.key("services")
        writeStrings(host.tagValues("service"), into: &writer)
        if v2 {
            writer.field("support_agent_upgrade", host.attributeString("remote_agent_management") == "enabled")
        }
        writer.key("tags")
        writeStrings(host.tags.map(\.description), into: &writer)
        writer.field("team", host.tagValues("team").first ?? "")
        writer.endObject()
    }

    /// The Agent's configuration layers: the file as it is now (deployments included); nothing
    /// comes from the environment or Remote Configuration in the simulation.
    private static func writeLayer(_ host: SimulatedHost, includeParsed: Bool, into writer: inout JSONWriter) {
        let file = host.configFiles["/datadog.yaml"].map(YAMLWriter.render) ?? ""
        writer.beginObject()
        writer.field("compiled_configuration", file)
        writer.field("env_configuration", "")
        writer.field("file_configuration", file)
        if includeParsed { writer.field("parsed_configuration", file) }
        writer.field("remote_configuration", "")
        writer.field("runtime_configuration", file)
        writer.endObject()
    }

    private static func writeIntegrations(_ host: SimulatedHost, v2: Bool, into writer: inout JSONWriter) {
        let statuses = host.attributes["integrations"]
        writer.beginObject()
        writer.key("configuration_files")
        writer.beginArray()
        for path in host.configFiles.keys.sorted() where path.hasPrefix("/conf.d/") {
            writer.beginObject()
            if v2 { writer.field("agent_hash", host.agentKey) }
            writer.field("file_content", YAMLWriter.render(host.configFiles[path]!))
            writer.field("file_path", path)
            writer.field("filename", String(path.split(separator: "/").last ?? ""))
            writer.endObject()
        }
        writer.endArray()
        if !v2 { writer.field("datadog_agent_key", host.agentKey) }
        for (status, key): (String, StaticString) in [
            ("error", "error_integrations"), ("warning", "warning_integrations"),
        ] {
            writer.key(key)
            writeIntegrationList(
                statuses?[status]?.arrayValue?.compactMap(\.stringValue) ?? [], host: host, v2: v2, into: &writer)
        }
        writer.key("missing_integrations")
        writer.beginArray()
        writer.endArray()
        writer.key("working_integrations")
        writeIntegrationList(
            statuses?["working"]?.arrayValue?.compactMap(\.stringValue) ?? [], host: host, v2: v2, into: &writer)
        writer.endObject()
    }

    private static func writeIntegrationList(
        _ names: [String], host: SimulatedHost, v2: Bool, into writer: inout JSONWriter
    ) {
        writer.beginArray()
        for (index, name) in names.enumerated() {
            let path = "/conf.d/\(name).d/conf.yaml"
            let configuration = host.configFiles[path]
            writer.beginObject()
            writer.field("data_type", "metrics")
            writer.key("error_messages")
            writeStrings([], into: &writer)
            writer.field("init_config", "")
            writer.field("instance_config", configuration?["instances"]?.arrayValue?.first.map(YAMLWriter.render) ?? "")
            writer.field("is_custom_check", false)
            if v2 {
                writer.field("is_default", configuration == nil)
                writer.field("is_init", false)
            }
            writer.field("log_config", "")
            writer.field("name", name)
            writer.field("source_index", index)
            writer.field("source_path", configuration == nil ? "" : path)
            writer.field("type", "check")
            writer.endObject()
        }
        writer.endArray()
    }

    private static func writeStrings(_ strings: [String], into writer: inout JSONWriter) {
        writer.beginArray()
        for text in strings { writer.string(text) }
        writer.endArray()
    }

    private static func writeTagObjects(_ tags: [Tag], into writer: inout JSONWriter) {
        writer.beginArray()
        for tag in tags {
            writer.beginObject()
            writer.field("key", tag.key)
            writer.field("value", tag.value)
            writer.endObject()
        }
        writer.endArray()
    }
}
