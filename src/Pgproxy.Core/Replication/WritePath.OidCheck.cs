using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>
    /// A node refused the session's OID draw (its role may not call <c>lo_create</c>): its later schema changes are
    /// not checked, rather than each running twice.
    /// </summary>
    private bool _oidDrawRefused;

    /// <summary>
    /// Inside an autocommit schema change's transaction, after every node ran it: each node draws one OID
    /// (<see cref="InjectedQueries.DrawOid"/>, all at once). True when the change must be rolled back and run again:
    /// a node drew another OID than main — it numbered the change's objects apart — or a draw was refused (that node's
    /// transaction failed; the next run is not checked, nor the session's later changes). On its last run a change
    /// numbered apart commits, logged.
    /// </summary>
    private async Task<bool> NumberedApartAsync(NodeLink main, NodeLink[] others, OidNumbering numbering)
    {
        var live = others.Where(o => !o.Detached).ToArray();
        if (live.Length == 0)
        {
            return false;
        }

        foreach (var link in (NodeLink[])[main, .. live])
        {
            link.DrawnOid = null;
            link.SwallowedError = null;
            link.Inject(InjectedQueries.DrawOid, InjectedReply.OidQueryCycle);
        }

        await FlushOthersAsync(live);
        await FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        await DrainOthersAsync(live);
        live = [.. live.Where(o => !o.Detached)];
        if (Array.Find((NodeLink[])[main, .. live], l => l.SwallowedError is not null) is { } refused)
        {
            Log.DrawRefused(_logger, refused.NodeId);
            _oidDrawRefused = true;
            numbering.StopChecking();
            return true;
        }

        var apart = live.Where(o => o.DrawnOid != main.DrawnOid).ToList();
        if (apart.Count == 0)
        {
            return false;
        }

        var draws = string.Join(", ", apart.Select(o => $"node {o.NodeId} drew {o.DrawnOid}"));
        if (numbering.IsLastRun)
        {
            Log.NumberedApart(_logger, numbering.Run, main.NodeId, main.DrawnOid, draws);
            _catalogWrites.CountCommittedApart();
            return false;
        }

        Log.RunAgain(_logger, numbering.Run, main.NodeId, main.DrawnOid, draws);
        _catalogWrites.CountRanAgain();
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SchemaChangeNumberedApart, LogLevel.Debug,
            "a schema change drew other OIDs on some node (run {Run}: main node {MainNodeId} drew {MainOid}, {Draws}): " +
            "rolled back everywhere, it runs again")]
        public static partial void RunAgain(ILogger logger, int run, int mainNodeId, string? mainOid, string draws);

        [LoggerMessage(EventIds.SchemaChangeNumberedApart, LogLevel.Warning,
            "a schema change drew other OIDs on some node in each of its {Run} runs (main node {MainNodeId} drew " +
            "{MainOid}, {Draws}): committed, its objects may have other OIDs there")]
        public static partial void NumberedApart(ILogger logger, int run, int mainNodeId, string? mainOid,
            string draws);

        [LoggerMessage(EventIds.SchemaChangeNumberedApart, LogLevel.Debug,
            "node {NodeId} refused the OID draw that checks a schema change: rolled back, it runs again unchecked, " +
            "and the session's later schema changes are not checked")]
        public static partial void DrawRefused(ILogger logger, int nodeId);
    }
}
