using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A catalog query of pgproxy's own, run on a node between the client's requests (function volatility, tables with
/// sequences, column defaults): the first column of every row, or null when it failed (logged; the caller falls back
/// to the safe choice). Inside the client's transaction it runs in it, which is harmless for a read of the catalog.
/// </summary>
/// <param name="replies">Drains what was injected ahead of the query, and passes main's notifications on.</param>
/// <param name="judgeTermination">What a backend's FATAL 57P0x means (as for any reply).</param>
/// <param name="logger">The session's logger.</param>
internal sealed partial class CatalogQuery(ReplyReader replies, Func<BackendTerminatedException, Task<Exception>> judgeTermination,
    ILogger logger)
{
    public async Task<List<string>?> RunAsync(NodeLink link, string sql)
    {
        link.FlushPendingBegin();
        if (link.Injected.Count > 0)
        {
            // A deferred or internal BEGIN goes first: its answer must not be taken for the catalog query's.
            await WritePath.FlushLinkAsync(link);
            await replies.ReadAsync(link, forward: false, summarize: false, ReplyStop.UntilDrained);
        }

        link.Output.Write(InjectedQueries.Encode(sql));
        await WritePath.FlushLinkAsync(link);
        var rows = new List<string>();
        var error = await ReadRowsAsync(link, rows);
        if (error is not null)
        {
            Log.CatalogQueryFailed(logger, error);
            return null;
        }

        return rows;
    }

    /// <summary>A catalog answer that came but could not be understood: logged as a failed query.</summary>
    public void ReportUnreadable(string reason) => Log.CatalogQueryFailed(logger, reason);

    /// <summary>Reads the answer up to its ReadyForQuery into <paramref name="rows"/>; returns the error, if any.</summary>
    private async Task<string?> ReadRowsAsync(NodeLink link, List<string> rows)
    {
        string? error = null;
        var input = link.Input;
        while (true)
        {
            ReadResult result;
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
                        replies.ForwardNotification(link, buffer.Slice(0, header.TotalLength));
                        break;
                    default:
                        break;
                }

                buffer = buffer.Slice(header.TotalLength);
            }

            input.AdvanceTo(buffer.Start, ready ? buffer.Start : result.Buffer.End);
            if (terminated is not null)
            {
                throw await judgeTermination(terminated);
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

        return error;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.CatalogQueryFailed, LogLevel.Warning, "catalog query on main failed: {Reason}")]
        public static partial void CatalogQueryFailed(ILogger logger, string reason);
    }
}
