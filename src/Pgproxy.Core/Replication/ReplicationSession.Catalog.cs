using System.Collections.Concurrent;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Tables with a sequence or identity default, per database and table name as written: what
    /// <c>insert_lock</c> must serialise. Read once per table from main's catalog.
    /// </summary>
    private static readonly ConcurrentDictionary<(string Database, string Table), bool> SequenceTables = new();

    /// <summary>Reads the database's functions by volatility from main (the first session of a database does it).</summary>
    private async Task<FunctionVolatilityMap?> LoadVolatileFunctionsAsync()
    {
        if (_clientStatus == TransactionStatus.Failed)
        {
            return null; // main cannot run anything now; the caller treats unknown functions as writes.
        }

        // Taken before the reading: a forgetting by another session's DDL while it runs makes it too old to keep.
        var generation = _policy.Volatility.Generation(_session.Database);
        var names = await _catalogQuery.RunAsync(Main, FunctionVolatility.Query);
        return names is null ? null : _policy.Volatility.Store(_session.Database, names, generation);
    }

    /// <summary>
    /// The table to lock for an INSERT under <c>insert_lock</c> (a table whose column default draws from a
    /// sequence, or an identity column), or null. pgpool's <c>/*NO INSERT LOCK*/</c> comment is not needed:
    /// tables without sequences are never locked.
    /// </summary>
    private async ValueTask<string?> InsertLockTableAsync(StatementClassification statement)
    {
        if (!_policy.InsertLock || statement.InsertTable is not { } table
                                || !statement.Flags.HasFlag(StatementFlags.Insert))
        {
            return null;
        }

        var key = (_session.Database, table);
        if (!SequenceTables.TryGetValue(key, out var hasSequence))
        {
            if (_clientStatus == TransactionStatus.Failed)
            {
                return null;
            }

            var literal = "'" + InjectedQueries.QuoteQualified(table).Replace("'", "''", StringComparison.Ordinal) + "'";
            var rows = await _catalogQuery.RunAsync(Main,
                "SELECT count(*) FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d " +
                "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = pg_catalog.to_regclass(" + literal +
                ") AND a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR " +
                "pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%')");
            hasSequence = rows is [var count] && count != "0";
            if (rows is not null)
            {
                SequenceTables[key] = hasSequence;
            }
        }

        return hasSequence ? table : null;
    }

    /// <summary>
    /// A FunctionCall message (fast-path, used for large objects): every node, main first, compared like any
    /// write; it has no text to classify.
    /// </summary>
    private async Task RunFunctionCallAsync()
    {
        if (!await SettleOrRefuseAsync(writeReady: true))
        {
            await RunWriteAsync(_frame.WrittenMemory, statement: null, internalTransaction: false);
        }
    }
}
