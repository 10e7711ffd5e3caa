using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>Refuses writes choosing rows with SKIP LOCKED or NOWAIT (nondeterministic_write = error).</summary>
    private string? RefusedTiming(StatementClassification statement) =>
        _policy.RefuseNondeterministic && statement.Flags.HasFlag(StatementFlags.TimingDependentWrite)
            ? "pgproxy refuses a write whose rows SKIP LOCKED or NOWAIT choose: which rows are unlocked depends on " +
              "timing and would differ between nodes (nondeterministic_write = error); lock the rows with SELECT … " +
              "FOR UPDATE SKIP LOCKED first (main alone runs it), then write them by key"
            : null;

    /// <summary>Refuses writes that store what each node knows only of itself (nondeterministic_write = error).</summary>
    private string? RefusedNodeState(StatementClassification statement) =>
        _policy.RefuseNondeterministic && statement.Flags.HasFlag(StatementFlags.StoresNodeState)
            ? "pgproxy refuses a write that stores what each node knows only of itself (a statistics view, or " +
              "relfilenode, relpages, reltuples, relallvisible, relfrozenxid, relminmxid of pg_class or datfrozenxid, " +
              "datminmxid of pg_database): its values would differ between nodes (nondeterministic_write = error); " +
              "select the columns that do not, or store them in a temporary table"
            : null;

    /// <summary>Why a write is refused before any node runs it (nondeterministic_write = error), or null.</summary>
    public string? RefusedWrite(StatementClassification statement) =>
        _policy.RefusedFunction(statement) is { } function
            ? NondeterministicMessage(function)
            : RefusedTiming(statement) ?? RefusedNodeState(statement) ?? _policy.RefusedLargeObject(statement);

    private static string NondeterministicMessage(string function) =>
        $"pgproxy refuses a write calling {function}(): its result would differ between nodes " +
        "(nondeterministic_write = error)";

    /// <summary>Refuses a statement before any node runs it (see <see cref="FailRequestAsync"/>).</summary>
    public async Task RefuseAsync(string sqlState, string message, bool writeReady)
    {
        Log.StatementRefused(_logger, message);
        await FailRequestAsync(sqlState, message, writeReady);
    }

    /// <summary>
    /// Answers the client's request with pgproxy's own ErrorResponse, written here rather than raised by a node: it
    /// needs no procedural language on the nodes and carries no CONTEXT of one. Inside a transaction every node's
    /// part must fail with it, so that a later COMMIT is a ROLLBACK everywhere and the client sees status E: each
    /// node in the transaction runs <see cref="InjectedQueries.FailTransaction"/>, whose own error is swallowed.
    /// Outside one nothing runs anywhere. Without <paramref name="writeReady"/> (a Flush-ended group) the client
    /// gets the error but no ReadyForQuery, and what it sends up to its Sync is skipped, as PostgreSQL does.
    /// </summary>
    public async Task FailRequestAsync(string sqlState, string message, bool writeReady, string? hint = null)
    {
        await FailTransactionsEverywhereAsync();
        WriteClientError(sqlState, message, hint);
        if (writeReady)
        {
            FinishRequest(Main);
            return;
        }

        if (Main.Status != TransactionStatus.Idle)
        {
            SetClientStatus(Main);
        }

        _groups.DiscardUntilSync = true;
    }

    /// <summary>
    /// Refuses a write of the simple protocol (<see cref="RefuseAsync"/>), unless main rejects it as it parses it
    /// (<see cref="MainParseCheck"/>): then main's own error is the answer, and every other node's part of the
    /// client's transaction fails as main's did. A string of several statements cannot be parsed as one: refused.
    /// </summary>
    public async Task RefuseUnlessMainRejectsAsync(ReadOnlyMemory<byte> frame, StatementClassification statement,
        string refusal)
    {
        if (statement.Flags.HasFlag(StatementFlags.MultiStatement)
            || !await MainParseCheck.RejectsAsync(Main, _replies, frame[5..(OthersFrames.QueryText(frame.Span).Length + 5)]))
        {
            await RefuseAsync("0A000", refusal, writeReady: true);
            return;
        }

        await FailTransactionsEverywhereAsync();
        FinishRequest(Main);
    }

    /// <summary>
    /// <see cref="RefuseUnlessMainRejectsAsync"/> for an extended-protocol group: main parses the refused statement's
    /// own Parse message (<see cref="MainParseCheck.RejectsClientParseAsync"/>). When main rejects it, its error is
    /// the answer; a Flush-ended group then skips to the client's Sync, as PostgreSQL does after an error.
    /// </summary>
    /// <returns>True when main rejected the statement, false when pgproxy refused it.</returns>
    public async Task<bool> RefuseUnlessMainRejectsParseAsync(ReadOnlyMemory<byte> parse, string refusal,
        bool writeReady)
    {
        if (!await MainParseCheck.RejectsClientParseAsync(Main, _replies, parse.Span))
        {
            await RefuseAsync("0A000", refusal, writeReady);
            return false;
        }

        await FailTransactionsEverywhereAsync();
        if (writeReady)
        {
            FinishRequest(Main);
        }
        else
        {
            if (Main.Status != TransactionStatus.Idle)
            {
                SetClientStatus(Main);
            }

            _groups.DiscardUntilSync = true;
        }

        return true;
    }

    /// <summary>Fails every node's part of the client's transaction, if it has one (see FailTransactions).</summary>
    private async Task FailTransactionsEverywhereAsync()
    {
        if (_write.OthersOwe)
        {
            await _write.SettleAsync(); // their owed answers come first on their connections; the failure ends it anyway
        }

        var main = Main;
        var failing = FailTransactions(main);
        if (failing.Length > 0)
        {
            await _write.FlushOthersAsync(failing);
            await _write.DrainOthersAsync(failing);
        }

        // Also when main alone is in the transaction (the others' part already rolled back, or one node): the
        // client's ReadyForQuery must say failed.
        if (main.Injected.Count > 0)
        {
            await WritePath.FlushLinkAsync(main);
            await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        }
    }

    /// <summary>
    /// Sends the failing statement to every live node that is (or, with the client's deferred BEGIN, is about to
    /// be) in the client's transaction; returns those other than <paramref name="main"/>.
    /// </summary>
    private NodeLink[] FailTransactions(NodeLink main)
    {
        List<NodeLink>? others = null;
        foreach (var link in _links)
        {
            if (!IsLive(link) || !link.InTransaction)
            {
                continue;
            }

            link.FlushPendingBegin();
            link.Inject(InjectedQueries.FailTransaction, InjectedReply.QueryCycle);
            if (link != main)
            {
                (others ??= []).Add(link);
            }
        }

        return others is null ? [] : [.. others];
    }

    /// <summary>
    /// Writes pgproxy's error where the statement's answer goes: what main answered before the statement's
    /// result (ParseComplete, BindComplete… of a held extended group) is passed on, the result itself is not.
    /// </summary>
    private void WriteClientError(string sqlState, string message, string? hint = null) =>
        _write.AnswerWithError(sqlState, message, hint);
}
