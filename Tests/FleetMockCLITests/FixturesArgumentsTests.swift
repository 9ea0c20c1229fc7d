import Testing

@testable import FleetMockCLI

/// `fleetmock fixtures generate --hosts N [--seed S] [--out DIR]`: its options, what it refuses,
/// and the fleet it writes.
@Suite struct FixturesArgumentsTests {
    typealias Options = FixturesCommand.Options

    static func message(_ arguments: [String]) -> String? {
        do {
            _ = try Options.parse(arguments: arguments)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func hostsAloneTakesTheDefaultSeedAndStdout() throws {
        #expect(try Options.parse(arguments: ["--hosts", "10"]) == Options(hosts: 10, seed: 2026, out: nil))
    }

    @Test func everyOptionInAnyOrder() throws {
        let expected = Options(hosts: 1_000_000, seed: 7, out: "/tmp/fleet")
        #expect(try Options.parse(arguments: ["--hosts", "1000000", "--seed", "7", "--out", "/tmp/fleet"]) == expected)
        #expect(try Options.parse(arguments: ["--out", "/tmp/fleet", "--seed", "7", "--hosts", "1000000"]) == expected)
    }

    @Test(arguments: [
        ([], "--hosts is required\n\n\(FixturesCommand.help)"),
        (["--seed", "1"], "--hosts is required\n\n\(FixturesCommand.help)"),
        (["--hosts"], "--hosts needs a value"),
        (["--hosts", "1", "--out"], "--out needs a value"),
        (["--hosts", "0"], "--hosts must be from 1 to 1000000, got '0'"),
        (["--hosts", "1000001"], "--hosts must be from 1 to 1000000, got '1000001'"),
        (["--hosts", "ten"], "--hosts must be from 1 to 1000000, got 'ten'"),
        (["--hosts", "1", "--seed", "-1"], "--seed must be a non-negative integer, got '-1'"),
        (["--hosts=1"], "--hosts=1 needs a value"),
        (["--bogus", "1"], "unknown option '--bogus'\n\n\(FixturesCommand.help)"),
    ])
    func refused(arguments: [String], message: String) {
        #expect(Self.message(arguments) == message)
    }

    @Test func onlyGenerateIsACommand() {
        #expect(FixturesCommand.run(arguments: ["make", "--hosts", "1"]) == 2)
    }

    @Test func aRefusedOptionExitsTwo() {
        #expect(FixturesCommand.run(arguments: ["generate", "--hosts", "0"]) == 2)
    }

    @Test func theSameHostsAndSeedGiveTheSameBytes() {
        let fleet = FixturesCommand.generate(hosts: 50, seed: 9)
        #expect(fleet == FixturesCommand.generate(hosts: 50, seed: 9))
        #expect(fleet != FixturesCommand.generate(hosts: 50, seed: 10))
        #expect(fleet.last == UInt8(ascii: "\n"))
        let text = String(decoding: fleet, as: UTF8.self)
        #expect(text.ranges(of: "\"agent_key\"").count == 50)
        #expect(text.contains("\"hostname\":\"web-frontend-prod-1\""))
        #expect(text.contains("\"hostname\":\"web-api-prod-5\""))
    }
}
