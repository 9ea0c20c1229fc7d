import FleetDomain
import FleetJSON

/// One JSON object of a request body, read member by member. Every failure is a 400 naming the
/// member's full path (`data.attributes.rule.timezone`). Unknown members are ignored, as the
/// service ignores them. The spec marks no request field nullable, so an explicit `null` is a 400
/// like any other wrong type (it once counted as absent: `"filter_query": null` targeted every host).
struct JSONFields {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(FleetError) {
        guard let members = value.objectValue else {
            throw FleetError.invalidField(path: path, reason: "must be an object, not \(value.typeName)")
        }
        self.members = members
        self.path = path
    }

    func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member, nil when absent; a `null` is refused.
    func value(_ key: String) throws(FleetError) -> JSONValue? {
        guard let value = members[key] else { return nil }
        guard value != .null else { throw FleetError.invalidField(path: path(key), reason: "must not be null") }
        return value
    }

    private func present(_ key: String, required: Bool) throws(FleetError) -> JSONValue? {
        guard let value = try value(key) else {
            if required { throw FleetError.invalidField(path: path(key), reason: "is required") }
            return nil
        }
        return value
    }

    func object(_ key: String, required: Bool = false) throws(FleetError) -> JSONFields? {
        guard let value = try present(key, required: required) else { return nil }
        return try JSONFields(value, path: path(key))
    }

    func string(_ key: String, required: Bool = false) throws(FleetError) -> String? {
        guard let value = try present(key, required: required) else { return nil }
        guard let text = value.stringValue else {
            throw FleetError.invalidField(path: path(key), reason: "must be a string, not \(value.typeName)")
        }
        return text
    }

    func integer(_ key: String, required: Bool = false) throws(FleetError) -> Int64? {
        guard let value = try present(key, required: required) else { return nil }
        switch value {
        case .int(let number):
            return number
        case .double(let number) where number.rounded() == number && abs(number) < 9.0e15:
            return Int64(number)
        default:
            throw FleetError.invalidField(path: path(key), reason: "must be an integer, not \(value.typeName)")
        }
    }

    func number(_ key: String, required: Bool = false) throws(FleetError) -> Double? {
        guard let value = try present(key, required: required) else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw FleetError.invalidField(path: path(key), reason: "must be a number, not \(value.typeName)")
        }
        return number
    }

    func bool(_ key: String, required: Bool = false) throws(FleetError) -> Bool? {
        guard let value = try present(key, required: required) else { return nil }
        guard let flag = value.boolValue else {
            throw FleetError.invalidField(path: path(key), reason: "must be a boolean, not \(value.typeName)")
        }
        return flag
    }

    func array(_ key: String, required: Bool = false) throws(FleetError) -> [JSONValue]? {
        guard let value = try present(key, required: required) else { return nil }
        guard let items = value.arrayValue else {
            throw FleetError.invalidField(path: path(key), reason: "must be an array, not \(value.typeName)")
        }
        return items
    }

    func stringArray(_ key: String, required: Bool = false) throws(FleetError) -> [String]? {
        guard let items = try array(key, required: required) else { return nil }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw FleetError.invalidField(
                    path: path(key) + "[\(index)]", reason: "must be a string, not \(item.typeName)")
            }
            strings.append(text)
        }
        return strings
    }

    /// A string member that must be one of `allowed`.
    func enumeration<Value: RawRepresentable>(_ key: String, as type: Value.Type, required: Bool = false)
        throws(FleetError) -> Value? where Value.RawValue == String, Value: CaseIterable
    {
        guard let text = try string(key, required: required) else { return nil }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw FleetError.invalidField(path: path(key), reason: "must be one of \(allowed), got '\(text)'")
        }
        return value
    }

    /// `data.type`, which must be `expected`.
    func resourceType(_ expected: String, required: Bool = true) throws(FleetError) {
        guard let type = try string("type", required: required) else { return }
        guard type == expected else {
            throw FleetError.invalidField(path: path("type"), reason: "must be '\(expected)', got '\(type)'")
        }
    }
}

extension RequestInput {
    /// The body's top-level `data` object, as every Fleet write takes it.
    func dataObject() throws(FleetError) -> JSONFields {
        guard let data = try JSONFields(try jsonObject(), path: "").object("data", required: true) else {
            throw FleetError.invalidField(path: "data", reason: "is required")
        }
        return data
    }
}
