using System.Buffers;
using System.Collections.Concurrent;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
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
        var names = await RunCatalogQueryAsync(Main, FunctionVolatility.Query);
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
            var rows = await RunCatalogQueryAsync(Main,
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
    /// Runs a catalog query of pgproxy's own on a node between the client's requests and returns the first
    /// column of every row, or null when it failed (logged; the caller falls back to the safe choice). Inside
    /// the client's transaction it runs in it, which is harmless for a read of the catalog.
    /// </summary>
    private async Task<List<string>?> RunCatalogQueryAsync(NodeLink link, string sql)
    {
        link.FlushPendingBegin();
        if (link.Injected.Count > 0)
        {
            // A deferred or internal BEGIN goes first: its answer must not be taken for the catalog query's.
            await WritePath.FlushLinkAsync(link);
            await ReadRepliesAsync(link, forward: false, summarize: false, ReplyStop.UntilDrained);
        }

        link.Output.Write(InjectedQueries.Encode(sql));
        await WritePath.FlushLinkAsync(link);
        var rows = new List<string>();
        string? error = null;
        var input = link.Input;
        while (true)
        {
            System.IO.Pipelines.ReadResult result;
            try
            {
                result = await input.ReadAsync();
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e) && e is not NodeFailureException)
            {
                throw new NodeFailureException(link,
                    NodeFailures.LostReason(link, $"reading from backend node {link.NodeId} failed: {e.Message}"), e);
            }

            var buffer = result.Buffer;
            var ready = false;
            BackendTerminatedException? terminated = null;
            while (!ready && terminated is null && FrameReader.TryReadHeader(buffer, out var header)
                   && buffer.Length >= header.TotalLength)
            {
                var body = buffer.Slice(5, header.TotalLength - 5).ToArray();
                switch ((BackendMessageType)header.Type)
                {
                    case BackendMessageType.DataRow:
                        if (ReplyReader.ReadFirstColumn(body) is { } value)
                        {
                            rows.Add(value);
                        }

                        break;
                    case BackendMessageType.ErrorResponse:
                        // A FATAL 57P0x is no failed catalog query: main's backend is ending (its node shutting
                        // down, say), which must be judged as for any reply, not end the session unannounced.
                        terminated = BackendTermination.Ending(link, body, buffer.Slice(0, header.TotalLength));
                        error = ErrorResponseMessage.Parse(body).Message;
                        break;
                    case BackendMessageType.ReadyForQuery:
                        link.Status = ReadyForQueryMessage.Read(body);
                        ready = true;
                        break;
                    case BackendMessageType.NotificationResponse:
                        _replies.ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                        break;
                    default:
                        break;
                }

                buffer = buffer.Slice(header.TotalLength);
            }

            input.AdvanceTo(buffer.Start, ready ? buffer.Start : result.Buffer.End);
            if (terminated is not null)
            {
                throw await JudgeTerminationAsync(terminated);
            }

            if (ready)
            {
                break;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                // A NodeFailureException, as from any reply: a plain IOException would end the session silently
                // instead of taking the node out and answering the client (40001, as for any lost main).
                throw new NodeFailureException(link,
                    NodeFailures.LostReason(link, $"backend node {link.NodeId} closed the connection"));
            }
        }

        if (error is not null)
        {
            Log.CatalogQueryFailed(_logger, error);
            return null;
        }

        return rows;
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
