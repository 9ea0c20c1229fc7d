/// Schedule commands: create, patch, delete. Like every command they validate, decide and return
/// the changes; the caller persists them and then applies them.
extension FleetSimulation {
    /// A new schedule; `name`, `query` and `rule` are required, `status` defaults to active and
    /// `version_to_latest` to 0.
    public func planCreateSchedule(_ draft: ScheduleDraft, by user: String, now: Instant) throws(FleetError)
        -> [FleetChange]
    {
        let path = ScheduleDraft.attributesPath
        guard let name = draft.name else { throw FleetError.invalidField(path: path + ".name", reason: "is required") }
        guard let query = draft.query else {
            throw FleetError.invalidField(path: path + ".query", reason: "is required")
        }
        guard let rule = draft.rule else { throw FleetError.invalidField(path: path + ".rule", reason: "is required") }
        try draft.validate()
        var generator = random
        let schedule = Schedule(
            id: generator.nextUUID(), name: name, query: query, rule: rule, status: draft.status ?? .active,
            versionToLatest: draft.versionToLatest ?? 0, createdAt: now, createdBy: user, updatedAt: now,
            updatedBy: user)
        return [.scheduleCreated(schedule), .randomStateUpdated(generator.state)]
    }

    /// Changes only the fields given. Deployments the schedule created are not affected.
    public func planUpdateSchedule(id: String, _ draft: ScheduleDraft, by user: String, now: Instant)
        throws(FleetError) -> [FleetChange]
    {
        try draft.validate()  // input before existence, as the pipeline orders them
        guard var schedule = schedule(id: id) else { throw FleetError.scheduleNotFound(id: id) }
        if let name = draft.name { schedule.name = name }
        if let query = draft.query { schedule.query = query }
        if let rule = draft.rule { schedule.rule = rule }
        if let status = draft.status { schedule.status = status }
        if let versionToLatest = draft.versionToLatest { schedule.versionToLatest = versionToLatest }
        schedule.updatedAt = now
        schedule.updatedBy = user
        return [.scheduleUpdated(schedule)]
    }

    /// Removes the schedule for good; deployments it created stay as they are.
    public func planDeleteSchedule(id: String) throws(FleetError) -> [FleetChange] {
        guard schedule(id: id) != nil else { throw FleetError.scheduleNotFound(id: id) }
        return [.scheduleDeleted(id: id)]
    }
}
