/// A Datadog package version ("7.52.1", "7.53.0-rc.2", "7.52.0-1") ordered by Semantic Versioning 2.0
/// precedence, then by packaging revision.
///
/// A last `-` part made only of digits is a packaging revision, as in Datadog's deb, rpm and OCI
/// packages: `7.52.0-1` is 7.52.0 packaged again, after `7.52.0` and before `7.52.1`. A part with a
/// letter is a pre-release (`7.53.0-rc.2`, before `7.53.0`); both may be given (`7.53.0-rc.2-1`).
public struct AgentVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int
    /// Dot-separated pre-release identifiers; empty for a release.
    public let prerelease: [String]
    /// The packaging revision (`1` in `7.52.0-1`); nil when the version has none, which orders
    /// before any revision.
    public let revision: Int?
    public let text: String

    public init?(_ text: String) {
        let withoutBuild = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)[0]
        var parts = withoutBuild.split(separator: "-", omittingEmptySubsequences: false)
        var revision: Int?
        if parts.count >= 2, let last = parts.last, !last.isEmpty, last.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = Int(last) else { return nil }
            revision = number
            parts.removeLast()
        }
        let core = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3,
            let major = Int(core[0]), let minor = Int(core[1]), let patch = Int(core[2]),
            major >= 0, minor >= 0, patch >= 0
        else { return nil }
        var prerelease: [String] = []
        if parts.count >= 2 {
            // A pre-release may itself hold hyphens ("rc-1.2"): everything between core and revision.
            prerelease = parts[1...].joined(separator: "-").split(separator: ".", omittingEmptySubsequences: false)
                .map(String.init)
            guard prerelease.allSatisfy({ !$0.isEmpty }) else { return nil }
        }
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.revision = revision
        self.text = text
    }

    public var isPrerelease: Bool { !prerelease.isEmpty }
    public var description: String { text }

    public static func < (lhs: AgentVersion, rhs: AgentVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        // A release outranks any of its pre-releases.
        if lhs.prerelease.isEmpty != rhs.prerelease.isEmpty { return !lhs.prerelease.isEmpty }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case let (leftNumber?, rightNumber?): return leftNumber < rightNumber
            case (.some, .none): return true
            case (.none, .some): return false
            case (.none, .none): return left < right
            }
        }
        if lhs.prerelease.count != rhs.prerelease.count { return lhs.prerelease.count < rhs.prerelease.count }
        return (lhs.revision ?? -1) < (rhs.revision ?? -1)
    }

    public static func == (lhs: AgentVersion, rhs: AgentVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
            && lhs.revision == rhs.revision
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
        hasher.combine(revision)
    }
}

/// The Agent versions a deployment may target, newest first.
public struct AgentVersionCatalog: Equatable, Sendable {
    public let versions: [AgentVersion]

    public init(_ versions: [AgentVersion]) {
        self.versions = Array(Set(versions)).sorted(by: >)
    }

    /// The version a schedule's `version_to_latest` selects: the newest release whose major is the
    /// latest major minus `versionToLatest`. Pre-releases are never chosen by a strategy.
    public func version(forVersionToLatest versionToLatest: Int) throws(FleetError) -> AgentVersion {
        // Searched in place: a filtered copy of the catalogue cost every trigger an allocation.
        guard let latestMajor = versions.first(where: { !$0.isPrerelease })?.major else {
            throw FleetError.noVersionForStrategy(versionToLatest: versionToLatest, major: -1)
        }
        let major = latestMajor - versionToLatest
        guard let chosen = versions.first(where: { !$0.isPrerelease && $0.major == major }) else {
            throw FleetError.noVersionForStrategy(versionToLatest: versionToLatest, major: major)
        }
        return chosen
    }

    public func contains(_ text: String) -> Bool {
        guard let version = AgentVersion(text) else { return false }
        return versions.contains(version)
    }
}
