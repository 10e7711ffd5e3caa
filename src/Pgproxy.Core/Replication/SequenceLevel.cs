using System.Globalization;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Brings the sequences an INSERT under <c>insert_lock</c> draws back to main's values on the other nodes, after one
/// node failed it for a reason of timing (a cancel, which pgproxy sends to every node, statement_timeout,
/// lock_timeout, a deadlock there) — possibly before it drew, or after: main failing it, the others never ran it. A draw outlives the rollback,
/// so without this every later row of the table got another number on that node: a client's cancel at the right
/// moment split every later INSERT into it. Done while main's transaction still holds insert_lock's lock, so no other
/// INSERT into the table draws meanwhile (each takes the lock on main first, and holds it until it has drawn on every
/// node): main's value is then exactly what every node must hold. Through connections of pgproxy's own (a superuser,
/// who may set any sequence); the table is the one insert_lock's lock named on main (its OID came back with the lock).
/// </summary>
internal sealed partial class SequenceLevel(IReplicationServices runtime, string database, ILogger logger)
{
    private const string ApplicationName = "pgproxy sequence level";

    /// <summary>
    /// Sets the sequences that the defaults and identity columns of the table insert_lock locked on main draw from to
    /// main's values on every other live node. Call it before main's transaction ends, while the lock is held.
    /// </summary>
    /// <param name="main">Main, whose transaction holds insert_lock's lock.</param>
    /// <param name="others">The nodes to level.</param>
    /// <param name="table">The table, as the INSERT named it (for the log).</param>
    /// <param name="failedOn">Where the INSERT failed, for the log: "main" or "another node".</param>
    public async Task LevelAsync(NodeLink main, NodeLink[] others, string table, string failedOn)
    {
        var live = others.Where(o => !o.Detached).ToArray();
        if (live.Length == 0
            || !uint.TryParse(main.LockedTableOid, NumberStyles.None, CultureInfo.InvariantCulture, out var oid))
        {
            return;
        }

        try
        {
            var connector = new ServiceConnector(runtime);
            var stopping = runtime.Shutdown.Token;
            List<string?[]> values;
            await using (var connection = await connector.OpenAsync(main.Node, database, ApplicationName, stopping))
            {
                var sequences = await BackendQuery.RunAsync(connection, SequencesOf(oid), stopping);
                values = sequences.Count == 0
                    ? []
                    : await BackendQuery.RunAsync(connection,
                        SequenceValues.ReadQuery(sequences.Select(s => s[0]!)), stopping);
                await connection.TerminateAsync();
            }

            if (values.Count == 0)
            {
                return;
            }

            var setvals = string.Join("; ",
                values.Select(v => "SELECT " + SequenceValues.SetvalCall(v[0]!, v[1]!, v[2])));
            var levelled = string.Join(", ", values.Select(v => $"{v[0]} {v[1]}"));
            foreach (var other in live)
            {
                await using var connection = await connector.OpenAsync(other.Node, database, ApplicationName, stopping);
                await BackendQuery.RunAsync(connection, setvals, stopping);
                await connection.TerminateAsync();
                Log.Levelled(logger, table, failedOn, other.NodeId, main.NodeId, levelled);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NotLevelled(logger, table, failedOn, e.Message);
        }
    }

    /// <summary>
    /// The sequences of the table's column defaults (serial: the default's dependency) and identity columns, quoted
    /// and qualified, one per row.
    /// </summary>
    private static string SequencesOf(uint oid)
    {
        var literal = oid.ToString(CultureInfo.InvariantCulture);
        return "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c " +
               "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND c.oid IN (" +
               "SELECT d.objid FROM pg_catalog.pg_depend d " +
               "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass " +
               "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'i' " +
               $"AND d.refobjid = {literal} " +
               "UNION SELECT d.refobjid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attrdef a " +
               "ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.objid = a.oid " +
               $"WHERE a.adrelid = {literal} " +
               "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass)";
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SequencesLevelled, LogLevel.Information,
            "an INSERT into {Table} failed on {FailedOn} for a reason of timing: its sequences set on node {NodeId} " +
            "to main node {MainNodeId}'s values ({Values})")]
        public static partial void Levelled(ILogger logger, string table, string failedOn, int nodeId, int mainNodeId,
            string values);

        [LoggerMessage(EventIds.SequencesNotLevelled, LogLevel.Warning,
            "an INSERT into {Table} failed on {FailedOn} for a reason of timing; its sequences could not be set to " +
            "main's values on the others ({Reason}): later rows may be numbered apart (pgproxy check finds them)")]
        public static partial void NotLevelled(ILogger logger, string table, string failedOn, string reason);
    }
}
