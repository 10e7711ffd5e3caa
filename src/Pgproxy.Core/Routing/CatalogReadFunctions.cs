using System.Collections.Frozen;

namespace Pgproxy.Core.Routing;

/// <summary>
/// PostgreSQL's own functions (pg_catalog) that its catalog marks volatile although they change nothing: a
/// statement calling them is still a read. Sent to every node as writes they would have their row counts
/// compared, which fails as soon as OIDs or sizes differ between nodes (psql's <c>\d</c> of a table referenced by a
/// foreign key calls pg_partition_ancestors). Functions whose answer depends on the node's transaction ids must
/// all be asked on main, or txid_status() of main's txid_current() says something of another node's transaction.
/// </summary>
internal static class CatalogReadFunctions
{
    private static readonly FrozenSet<string> ReadOnly = FrozenSet.ToFrozenSet(
    [
        "pg_partition_ancestors", "pg_partition_tree", "pg_sleep", "pg_sleep_for", "pg_sleep_until",
        "pg_relation_size", "pg_table_size", "pg_indexes_size", "pg_total_relation_size", "pg_database_size",
        "pg_tablespace_size", "pg_is_in_recovery", "pg_blocking_pids", "pg_safe_snapshot_blocking_pids",
        "pg_isolation_test_session_is_blocked", "pg_lock_status", "pg_control_checkpoint", "pg_control_init",
        "pg_control_recovery", "pg_control_system", "pg_current_wal_lsn", "pg_current_wal_insert_lsn",
        "pg_current_wal_flush_lsn", "pg_last_wal_receive_lsn", "pg_last_wal_replay_lsn",
        "pg_last_xact_replay_timestamp", "pg_is_wal_replay_paused", "pg_jit_available", "pg_current_logfile",
        "pg_hba_file_rules", "pg_ident_file_mappings", "pg_show_all_file_settings", "pg_prepared_xact",
        "pg_notification_queue_usage", "pg_collation_actual_version", "pg_database_collation_actual_version",
        "pg_ls_dir", "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir",
        "pg_ls_logicalmapdir", "pg_ls_logicalsnapdir", "pg_ls_replslotdir", "pg_read_file", "pg_read_binary_file",
        "pg_stat_file", "current_query", "pg_stat_clear_snapshot", "pg_stat_have_stats",
        "pg_stat_get_recovery_prefetch", "pg_show_replication_origin_status", "pg_sequence_last_value",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> TransactionIds = FrozenSet.ToFrozenSet(
    [
        "txid_current", "txid_current_if_assigned", "txid_current_snapshot", "txid_status",
        "pg_current_xact_id", "pg_current_xact_id_if_assigned", "pg_current_snapshot", "pg_xact_status",
        "pg_xact_commit_timestamp", "pg_xact_commit_timestamp_origin", "pg_last_committed_xact",
    ], StringComparer.Ordinal);

    /// <summary>
    /// True for a volatile pg_catalog function that reads only. pg_stat_* and pg_get_* read, except the
    /// pg_stat_reset* family, which clears counters.
    /// </summary>
    public static bool IsReadOnly(string name) =>
        ReadOnly.Contains(name) || TransactionIds.Contains(name)
                                || name.StartsWith("pg_get_", StringComparison.Ordinal)
                                || (name.StartsWith("pg_stat_", StringComparison.Ordinal)
                                    && !name.StartsWith("pg_stat_reset", StringComparison.Ordinal));

    /// <summary>
    /// Functions whose answer is about the backend that runs them: the client's backend is main's (its pid is the one
    /// BackendKeyData gave it), and its temporary schema's name and its transaction's statistics differ per node
    /// (the regression suite's create_index reindexed <c>pg_my_temp_schema()</c> as read on node 1, on main).
    /// </summary>
    private static readonly FrozenSet<string> OwnBackend = FrozenSet.ToFrozenSet(
        ["pg_backend_pid", "pg_my_temp_schema", "pg_is_other_temp_schema"], StringComparer.Ordinal);

    /// <summary>
    /// True when the statement calls a function whose answer is about main's transaction ids or main's own backend
    /// (its pid, its temporary schema, its transaction's statistics): main must answer it.
    /// </summary>
    public static bool AnyTiedToMain(StatementClassification statement)
    {
        foreach (var name in statement.FunctionNames)
        {
            if (TransactionIds.Contains(name) || OwnBackend.Contains(name)
                || name.StartsWith("pg_stat_get_xact_", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
