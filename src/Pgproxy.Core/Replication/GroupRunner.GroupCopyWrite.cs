namespace Pgproxy.Core.Replication;

internal sealed partial class GroupRunner
{
    /// <summary>
    /// A group that executes COPY FROM STDIN (DESIGN §3.6), as <see cref="WritePath.RunAsync"/> runs it. PostgreSQL
    /// answers Execute with CopyInResponse and ignores the Sync behind it; the data follows, and the only
    /// ReadyForQuery answers the client's Sync after CopyDone (or CopyFail). So main gets the group and answers up
    /// to CopyInResponse; only then do the others get it, and the data streams to every node
    /// (<see cref="CopyGroupInAsync"/>); main's CommandComplete is compared with the others' like any write's. The
    /// client's Sync comes as a group of its own.
    /// </summary>
    private sealed class GroupCopyWrite(GroupRunner runner, NodeLink[] targets, bool sync, GroupAnalysis analysis,
        bool internalTransaction) : IFannedWrite
    {
        /// <summary>Main went into copy-in: the group's Sync was swallowed by it.</summary>
        private bool _copied;

        private ReplyStop Stop => sync ? ReplyStop.UntilReady : ReplyStop.UntilCompletions;

        public bool InternalTransaction => internalTransaction;

        /// <summary>Refused before copy-in, main answers the group's Sync; after it, the client's next Sync.</summary>
        public bool EndsRequest => sync && !_copied;

        public bool MayDefer => false;

        public bool IsPlainDml => false;

        public string? LockTable => null;

        public bool MarksWrite => true;

        public bool ChangesFunctions => false;

        public bool SharesSnapshot => false;

        /// <summary>The data the client sent went to every node once.</summary>
        public bool MayRunAgain => false;

        public bool KeepsAnswerUntilResult => true;

        public void SendTo(NodeLink link, bool isMain) => runner.SendGroup(link, isMain, internalTransaction, analysis);

        public ValueTask FlushMainAsync(NodeLink main) => WritePath.FlushLinkAsync(main);

        public ValueTask<ReplyEnd> ReadMainAsync(NodeLink main)
        {
            runner._replies.CompletionsLeft = analysis.Completions;
            return runner._replies.ReadAsync(main, forward: true, summarize: true, Stop);
        }

        public NodeLink[] Others(NodeLink main, ReplyEnd end) => targets[1..];

        /// <summary>Asked only when main did not go into copy-in: it refused the COPY before any data.</summary>
        public bool MainRefused(NodeLink main) => true;

        /// <summary>Nothing ran: the others never see it, and an internal transaction is rolled back on main.</summary>
        public async Task<bool> ReplayRefusedAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime)
        {
            runner._answer.Release();
            await runner.EndRefusedCopyAsync(main, internalTransaction);
            return true;
        }

        public Task<bool> CopyInAsync(NodeLink main, NodeLink[] others)
        {
            _copied = true;
            return runner.CopyGroupInAsync(main, others, internalTransaction, analysis, Stop);
        }

        /// <summary>Not asked: the others got the group during the copy.</summary>
        public Task FlushOthersAsync(NodeLink[] others, bool deferred, bool passes) =>
            runner._write.FlushOthersAsync(others);

        /// <summary>Their answers to CopyDone: they had the data as soon as main.</summary>
        public Task ReadOthersAsync(NodeLink main, NodeLink[] others, TimeSpan mainTime) =>
            runner.ReadOthersCopyOutcomeAsync(main, others);
    }
}
