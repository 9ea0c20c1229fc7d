/// FleetMock's version, in this one place: `fleetmock --version` prints it, and `make dist` names
/// the tarball and the wheel after what that prints.
let fleetMockVersion = "0.3.0"
