namespace Pgproxy.Core.Catalog;

/// <summary>
/// The system DB schema, as the ordered list of steps that build it. A step, once released, never changes:
/// a later change is a new step with the next version, so every catalog converges on the same tables.
/// </summary>
internal static class CatalogMigrations
{
    public static IReadOnlyList<CatalogMigration> All { get; } =
    [
        new(1, "nodes, node_events; recovery_journal and consistency_results reserved",
            """
            CREATE TABLE {schema}.nodes (
                node_id            integer PRIMARY KEY,
                hostname           text NOT NULL,
                port               integer NOT NULL,
                status             text NOT NULL CHECK (status IN ('waiting', 'up', 'down')),
                role               text NOT NULL,
                weight             double precision NOT NULL,
                last_status_change timestamptz NOT NULL,
                reason             text NOT NULL DEFAULT ''
            );
            COMMENT ON TABLE {schema}.nodes IS
                'pgproxy: every configured backend node and its current status (rewritten at start and on change)';

            CREATE TABLE {schema}.node_events (
                id          bigserial PRIMARY KEY,
                event_uid   uuid NOT NULL UNIQUE,
                node_id     integer NOT NULL,
                previous    text NOT NULL,
                current     text NOT NULL,
                reason      text NOT NULL DEFAULT '',
                at          timestamptz NOT NULL,
                main_before integer NOT NULL,
                main_after  integer NOT NULL
            );
            CREATE INDEX node_events_node_id_at ON {schema}.node_events (node_id, at);
            COMMENT ON TABLE {schema}.node_events IS
                'pgproxy: one row per node status change (degenerate, attach); main_* = -1 when no node was live';
            COMMENT ON COLUMN {schema}.node_events.event_uid IS
                'chosen by pgproxy, so that events replayed after an outage are written once';

            -- Reserved for online recovery: the writes made while a node was away, replayed to catch it up.
            CREATE TABLE {schema}.recovery_journal (
                id            bigserial PRIMARY KEY,
                node_id       integer NOT NULL,
                recorded_at   timestamptz NOT NULL DEFAULT now(),
                database_name text NOT NULL,
                user_name     text NOT NULL,
                statement     text NOT NULL
            );
            COMMENT ON TABLE {schema}.recovery_journal IS 'pgproxy: reserved for the recovery journal (not used yet)';

            -- Reserved for the consistency check: per table and node, row count and hash of the rows.
            CREATE TABLE {schema}.consistency_results (
                id            bigserial PRIMARY KEY,
                checked_at    timestamptz NOT NULL DEFAULT now(),
                database_name text NOT NULL,
                table_name    text NOT NULL,
                node_id       integer NOT NULL,
                row_count     bigint,
                row_hash      text,
                matches_main  boolean
            );
            COMMENT ON TABLE {schema}.consistency_results IS
                'pgproxy: reserved for consistency check results (not used yet)';
            """),
        new(2, "prepared_transaction_resolutions",
            """
            CREATE TABLE {schema}.prepared_transaction_resolutions (
                id            bigserial PRIMARY KEY,
                resolved_at   timestamptz NOT NULL DEFAULT now(),
                gid           text NOT NULL,
                node_id       integer NOT NULL,
                database_name text NOT NULL,
                outcome       text NOT NULL CHECK (outcome IN ('committed', 'rolled back')),
                reason        text NOT NULL
            );
            COMMENT ON TABLE {schema}.prepared_transaction_resolutions IS
                'pgproxy: transactions a crash left prepared on a node, ended as the main of the time decided';
            """),
        new(3, "consistency_results used: one row per table and node per check run",
            """
            ALTER TABLE {schema}.consistency_results
                ADD COLUMN run_id   bigint NOT NULL DEFAULT 0,
                ADD COLUMN verdict  text NOT NULL DEFAULT 'same',
                ADD COLUMN detail   text NOT NULL DEFAULT '',
                ADD COLUMN ranges   text[] NOT NULL DEFAULT '{}',
                ADD COLUMN keys     text[] NOT NULL DEFAULT '{}';
            CREATE INDEX consistency_results_run ON {schema}.consistency_results (run_id, checked_at);
            COMMENT ON TABLE {schema}.consistency_results IS
                'pgproxy: consistency checks, per table and node: rows and hash at the common cut, and how the node '
                'differs from main (verdict same, differs, missing, columns differ, sequence differs)';
            """),
        new(4, "recovery_journal used: one row per recovery phase with its WAL position",
            """
            ALTER TABLE {schema}.recovery_journal
                ALTER COLUMN database_name SET DEFAULT '',
                ALTER COLUMN user_name SET DEFAULT '',
                ALTER COLUMN statement SET DEFAULT '',
                ADD COLUMN recovery_id text NOT NULL DEFAULT '',
                ADD COLUMN phase       text NOT NULL DEFAULT '',
                ADD COLUMN lsn         pg_lsn,
                ADD COLUMN detail      text NOT NULL DEFAULT '';
            CREATE INDEX recovery_journal_node ON {schema}.recovery_journal (node_id, recorded_at);
            COMMENT ON TABLE {schema}.recovery_journal IS
                'pgproxy: online recoveries, one row per phase (checks, schema, copy, catch-up, cutover, attached, '
                'failed) with main''s WAL position then: the node''s "binlog position"';
            COMMENT ON COLUMN {schema}.recovery_journal.user_name IS 'who asked for the recovery';
            """),
    ];

    public static int LatestVersion => All[^1].Version;
}
