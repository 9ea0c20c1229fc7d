import FleetDomain
import FleetJSON

/// JSON for tracers: `FleetTracersResponse`, the same on both client generations.
enum TracerRendering {
    static func list(_ tracers: [Tracer], filteredCount: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512 * max(1, tracers.count))
        writer.beginObject()
        writer.key("data")
        writer.beginObject()
        writer.key("attributes")
        writer.beginObject()
        writer.key("tracers")
        writer.beginArray()
        for tracer in tracers {
            writer.beginObject()
            writer.field("env", tracer.env)
            writer.field("hostname", tracer.hostname)
            writer.field("language", tracer.language)
            writer.field("language_version", tracer.languageVersion)
            writer.field("remote_config_status", tracer.remoteConfigStatus)
            writer.key("runtime_ids")
            writer.beginArray()
            for id in tracer.runtimeIDs { writer.string(id) }
            writer.endArray()
            writer.field("service", tracer.service)
            writer.field("service_hostname", tracer.hostname)
            writer.field("service_version", tracer.serviceVersion)
            writer.field("tracer_version", tracer.tracerVersion)
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
}
