namespace Pgproxy.Core.Replication;

internal sealed partial class WritePath
{
    /// <summary>A Sync message, for a node that skips everything else after an error in a Flush-ended group.</summary>
    private static readonly byte[] SyncMessage = [(byte)'S', 0, 0, 0, 4];

    /// <summary>
    /// A Flush-ended group (a part of a batch cut at its COMMIT, or a client's own Flush) whose answers differ: no
    /// ReadyForQuery has told pgproxy that its BEGIN opened a transaction, and a node that failed one of its
    /// statements skips everything up to a Sync, injected statements included. So every node's part is ended here
    /// before the failure is answered: a node that failed gets the Sync it waits for (its transaction stays failed,
    /// or its implicit one is rolled back), every other node, main first, runs the failing statement. Without this
    /// main kept the transaction, its COMMIT went through, and the node that failed never answered the others'.
    /// </summary>
    private async Task FailUnsyncedGroupAsync(NodeLink main, NodeLink[] others)
    {
        main.SwallowedError = null;
        main.Inject(InjectedQueries.FailTransaction, InjectedReply.QueryCycle);
        await FlushLinkAsync(main);
        await _replies.ReadAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);

        var live = others.Where(o => !o.Detached).ToArray();
        foreach (var other in live)
        {
            other.SwallowedError = null;
            other.Inject(other.Summary.HasError ? SyncMessage : InjectedQueries.FailTransaction, InjectedReply.QueryCycle);
        }

        await FlushOthersAsync(live);
        await DrainOthersAsync(live);
    }
}
