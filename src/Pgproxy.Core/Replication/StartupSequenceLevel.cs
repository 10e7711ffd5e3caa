using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

/// <summary>
/// At start, before the first client: every sequence of every database on the other live nodes is set to main's value
/// where the two differ. A draw outlives its transaction's rollback, so pgproxy killed after main ran an INSERT and
/// before the others ran it left main's sequence ahead (4, 8 and 13 draws after three kill -9 under 8 inserting
/// clients), and every later row of that table got another id on main than on the others. No client writes yet, so
/// main's values are exactly what every node must hold. Each change is logged; a node or database that cannot be read
/// is logged and left (the consistency check compares sequences too).
/// </summary>
internal sealed partial class StartupSequenceLevel(IReplicationServices runtime, ILogger logger)
{
    private const string ApplicationName = "pgproxy sequence level";

    /// <summary>Sequences read (and set) in one statement: a database may hold thousands.</summary>
    private const int Chunk = 200;

    private readonly ServiceConnector _connector = new(runtime);

    /// <summary>Levels every database; says how many sequences it set.</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var nodes = runtime.Nodes;
        if (nodes.MainNode is not { } main)
        {
            return 0;
        }

        var others = nodes.Nodes.Where(n => n != main && n.Status != BackendStatus.Down).ToArray();
        if (others.Length == 0)
        {
            return 0;
        }

        List<string?[]> databases;
        try
        {
            await using var connection = await _connector.OpenAsync(main, null, ApplicationName, stopping);
            databases = await BackendQuery.RunAsync(connection,
                "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn ORDER BY 1", stopping);
            await connection.TerminateAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NotLevelled(logger, "(every database)", main.NodeId, e.Message);
            return 0;
        }

        var set = 0;
        foreach (var database in databases.Select(r => r[0]!))
        {
            set += await LevelAsync(main, others, database, stopping);
        }

        return set;
    }

    private async Task<int> LevelAsync(BackendNode main, BackendNode[] others, string database,
        CancellationToken stopping)
    {
        var node = main;
        var set = 0;
        try
        {
            var mains = await ReadAsync(main, database, stopping);
            if (mains.Count == 0)
            {
                return 0;
            }

            foreach (var other in others)
            {
                node = other;
                var theirs = await ReadAsync(other, database, stopping);
                var apart = mains.Where(m => theirs.TryGetValue(m.Key, out var state) && state != m.Value).ToArray();
                if (apart.Length == 0)
                {
                    continue;
                }

                await using var connection = await _connector.OpenAsync(other, database, ApplicationName, stopping);
                foreach (var chunk in apart.Chunk(Chunk))
                {
                    var setvals = chunk.Select(s =>
                        SequenceValues.SetvalCall(s.Key, s.Value.LastValue, s.Value.IsCalled));
                    await BackendQuery.RunAsync(connection, "SELECT " + string.Join(", ", setvals), stopping);
                }

                await connection.TerminateAsync();
                foreach (var (name, state) in apart)
                {
                    Log.Levelled(logger, name, database, other.NodeId, theirs[name].LastValue, main.NodeId,
                        state.LastValue);
                }

                set += apart.Length;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NotLevelled(logger, database, node.NodeId, e.Message);
        }

        return set;
    }

    /// <summary>Every sequence of the database on the node: its last value, and whether it was drawn since set.
    /// </summary>
    private async Task<Dictionary<string, (string LastValue, string IsCalled)>> ReadAsync(BackendNode node,
        string database, CancellationToken stopping)
    {
        await using var connection = await _connector.OpenAsync(node, database, ApplicationName, stopping);
        var names = await BackendQuery.RunAsync(connection,
            "SELECT pg_catalog.format('%I.%I', schemaname, sequencename) FROM pg_catalog.pg_sequences", stopping);
        var states = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var chunk in names.Select(r => r[0]!).Chunk(Chunk))
        {
            var rows = await BackendQuery.RunAsync(connection, SequenceValues.ReadQuery(chunk), stopping);
            foreach (var row in rows)
            {
                states[row[0]!] = (row[1]!, row[2]!);
            }
        }

        await connection.TerminateAsync();
        return states;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SequencesLevelledAtStart, LogLevel.Warning,
            "sequence {Sequence} in database {Database} on node {NodeId} was at {Value}, main node {MainNodeId} at " +
            "{MainValue}: set to main's (a write drew on main alone before pgproxy last stopped)")]
        public static partial void Levelled(ILogger logger, string sequence, string database, int nodeId,
            string value, int mainNodeId, string mainValue);

        [LoggerMessage(EventIds.SequencesNotLevelledAtStart, LogLevel.Warning,
            "sequences in database {Database} could not be compared with main's at start (node {NodeId}: {Reason}); " +
            "pgproxy check compares them")]
        public static partial void NotLevelled(ILogger logger, string database, int nodeId, string reason);
    }
}
