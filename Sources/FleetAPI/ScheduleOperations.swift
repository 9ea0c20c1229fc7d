import FleetDomain

// Schedules, and the trigger that makes a deployment from one, on both surfaces.

/// `GET /api/unstable/fleet/schedules`
func listFleetSchedules(_ call: OperationCall) throws(FleetError) -> APIResponse {
    .json(200, UnstableRendering.schedulesResponse(call.org.simulation.schedules))
}

/// `POST /api/unstable/fleet/schedules`
func createFleetSchedule(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let changes = try call.org.simulation.planCreateSchedule(
        try ScheduleRequests.draft(from: call.input), by: call.caller.owner, now: call.now)
    try call.commit(changes)
    guard case .scheduleCreated(let created) = changes.first,
        let schedule = call.org.simulation.schedule(id: created.id)
    else { throw FleetError.storageFailure(reason: "create produced no schedule") }
    return .json(201, UnstableRendering.scheduleResponse(schedule))
}

/// `GET /api/unstable/fleet/schedules/{id}`
func getFleetSchedule(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("id")
    guard let schedule = call.org.simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
    return .json(200, UnstableRendering.scheduleResponse(schedule))
}

/// `PATCH /api/unstable/fleet/schedules/{id}`
func updateFleetSchedule(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("id")
    try call.commit(
        try call.org.simulation.planUpdateSchedule(
            id: id, try ScheduleRequests.draft(from: call.input), by: call.caller.owner, now: call.now))
    guard let schedule = call.org.simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
    return .json(200, UnstableRendering.scheduleResponse(schedule))
}

/// `DELETE /api/unstable/fleet/schedules/{id}`
func deleteFleetSchedule(_ call: OperationCall) throws(FleetError) -> APIResponse {
    try call.commit(try call.org.simulation.planDeleteSchedule(id: try call.input.identifier("id")))
    return APIResponse(status: 204)
}

/// `POST /api/unstable/fleet/schedules/{id}/trigger`: a new deployment, independent of any other,
/// from the schedule's query and version strategy over the hosts that match now.
func triggerFleetSchedule(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("id")
    let deployment = try call.commitDeployment(
        try call.org.simulation.planTrigger(
            scheduleID: id, by: call.caller.owner, forcedFailures: call.forcedFailures, now: call.now))
    return createdDeploymentResponse(deployment, call)
}

/// `GET /api/v2/fleet/schedules`
func listFleetSchedulesV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    .json(200, V2Rendering.schedulesResponse(call.org.simulation.schedules))
}

/// `GET /api/v2/fleet/schedules/{id}`
func getFleetScheduleV2(_ call: OperationCall) throws(FleetError) -> APIResponse {
    let id = try call.input.identifier("id")
    guard let schedule = call.org.simulation.schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
    return .json(200, V2Rendering.scheduleResponse(schedule))
}
