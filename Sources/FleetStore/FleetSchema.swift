/// The store's schema, as numbered migrations. Add a step; never edit a released one.
enum FleetSchema {
    static let migrator = Migrator([
        .init(
            version: 1,
            sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE agent_versions (
                    version TEXT PRIMARY KEY
                ) WITHOUT ROWID;
                CREATE TABLE hosts (
                    agent_key TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    hostname TEXT NOT NULL,
                    tags TEXT NOT NULL,
                    packages TEXT NOT NULL,
                    config_files TEXT NOT NULL,
                    attributes TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE schedules (
                    id TEXT PRIMARY KEY,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    query TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    status TEXT NOT NULL,
                    version_to_latest INTEGER NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    updated_at_ms INTEGER NOT NULL,
                    updated_by TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE deployments (
                    id TEXT PRIMARY KEY,
                    sequence INTEGER NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    filter_query TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    canceled_at_ms INTEGER,
                    schedule_id TEXT,
                    concurrency INTEGER NOT NULL,
                    start_delay_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE host_operations (
                    deployment_id TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    host_key TEXT NOT NULL,
                    hostname TEXT NOT NULL,
                    state TEXT NOT NULL,
                    started_at_ms INTEGER,
                    finished_at_ms INTEGER,
                    planned_duration_ms INTEGER NOT NULL,
                    planned_to_fail INTEGER NOT NULL,
                    error TEXT NOT NULL,
                    initial_versions TEXT NOT NULL,
                    PRIMARY KEY (deployment_id, position)
                ) WITHOUT ROWID;
                """),
        // The v2 surface records who created a deployment (author). A deployment's host plan is one
        // JSON array in its row, and host_operations holds a row only for a host whose state changed,
        // so a trigger writes one row instead of one per host. Deployments become a rowid table keyed
        // by creation order: new rows append instead of landing on a random page by UUID.
        .init(
            version: 2,
            sql: """
                CREATE TABLE deployments_v2 (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    filter_query TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    canceled_at_ms INTEGER,
                    schedule_id TEXT,
                    concurrency INTEGER NOT NULL,
                    start_delay_ms INTEGER NOT NULL,
                    author TEXT NOT NULL DEFAULT '',
                    plan TEXT NOT NULL DEFAULT ''
                );
                INSERT INTO deployments_v2 (sequence, id, kind, payload, filter_query, created_at_ms, canceled_at_ms,
                                            schedule_id, concurrency, start_delay_ms)
                    SELECT sequence, id, kind, payload, filter_query, created_at_ms, canceled_at_ms, schedule_id,
                           concurrency, start_delay_ms
                    FROM deployments;
                DROP TABLE deployments;
                ALTER TABLE deployments_v2 RENAME TO deployments;
                """),
        // Orgs created through /__fleetmock/orgs: their keys and fixture document. Each org's own
        // state lives in a database file of its own.
        .init(
            version: 3,
            sql: """
                CREATE TABLE orgs (
                    id TEXT PRIMARY KEY,
                    created_at_ms INTEGER NOT NULL,
                    credentials TEXT NOT NULL,
                    fixture TEXT
                ) WITHOUT ROWID;
                """),
        // Every write appends: a cancel adds one small row at the end of a table of its own
        // (updating the deployment's row rewrote its kilobytes of host plan), and deployments lose
        // the index on their random UUID (each trigger wrote one more page at a random place in
        // it; the store never looks a deployment up by id). A batch of writes then touches a few
        // pages at the ends of the tables instead of one page per write.
        .init(
            version: 4,
            sql: """
                CREATE TABLE deployment_cancellations (
                    deployment_id TEXT NOT NULL,
                    canceled_at_ms INTEGER NOT NULL
                );
                INSERT INTO deployment_cancellations (deployment_id, canceled_at_ms)
                    SELECT id, canceled_at_ms FROM deployments WHERE canceled_at_ms IS NOT NULL ORDER BY sequence;
                CREATE TABLE deployments_v4 (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    filter_query TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    schedule_id TEXT,
                    concurrency INTEGER NOT NULL,
                    start_delay_ms INTEGER NOT NULL,
                    author TEXT NOT NULL DEFAULT '',
                    plan TEXT NOT NULL DEFAULT ''
                );
                INSERT INTO deployments_v4 (sequence, id, kind, payload, filter_query, created_at_ms, schedule_id,
                                            concurrency, start_delay_ms, author, plan)
                    SELECT sequence, id, kind, payload, filter_query, created_at_ms, schedule_id, concurrency,
                           start_delay_ms, author, plan
                    FROM deployments;
                DROP TABLE deployments;
                ALTER TABLE deployments_v4 RENAME TO deployments;
                """),
        // Hosts in chunks: each row a JSON array of up to 1,000 hosts in the fixtures' form, keyed
        // by the fleet position of its first host (a row per host made seeding 100,000 hosts
        // 100,000 B-tree inserts, more than half a second). A host a deployment changed has its
        // packages and configuration files in host_states, which wins over its chunk on loading.
        // Hosts from before become one-host chunks at their own positions.
        .init(
            version: 5,
            sql: """
                CREATE TABLE host_chunks (
                    first_position INTEGER PRIMARY KEY,
                    hosts TEXT NOT NULL
                );
                CREATE TABLE host_states (
                    agent_key TEXT PRIMARY KEY,
                    packages TEXT NOT NULL,
                    config_files TEXT NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO host_chunks (first_position, hosts)
                    SELECT position, json_array(json_object(
                        'agent_key', agent_key, 'hostname', hostname, 'tags', json(tags), 'packages', json(packages),
                        'config_files', json(config_files), 'attributes', json(attributes)))
                    FROM hosts;
                DROP TABLE hosts;
                """),
        // What a state was seeded from, so that a start asking for other fixtures or another seed
        // is refused instead of silently serving the old fleet. Files from before have no row.
        .init(
            version: 6,
            sql: """
                CREATE TABLE origin (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    fixtures TEXT NOT NULL,
                    fixtures_digest INTEGER NOT NULL,
                    seed INTEGER NOT NULL
                );
                """),
    ])
}
