using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>Scratch list of the nodes a COMMIT/ROLLBACK must reach (reused, like <see cref="_endOthers"/>).</summary>
    private readonly List<NodeLink> _started = [];

    private NodeLink[] _endOthers = [];

    /// <summary>The last plain BEGIN the client sent, shared by every node's pending BEGIN.</summary>
    private byte[] _lastBegin = [];

    /// <summary>
    /// BEGIN (DESIGN §3.3). A plain BEGIN — one that cannot fail on a node — is answered at once and travels to
    /// each node with the next statement that node gets, so opening a transaction costs no round trip and a node
    /// the transaction never touches never hears of it. Anything fancier runs on every node now.
    /// </summary>
    private async Task BeginAsync(ReadOnlyMemory<byte> frame, StatementClassification statement)
    {
        if (_state.Status != TransactionStatus.Idle)
        {
            // Already in a transaction: PostgreSQL only warns; let the node serving the transaction say so.
            await RunOnOneAsync(_state.FailedLink is { } failed && SessionLinks.IsLive(failed) ? failed : _nodes.Main, frame, countSelect: false);
            return;
        }

        var strict = statement.Flags.HasFlag(StatementFlags.StrictIsolation);
        if (!statement.Flags.HasFlag(StatementFlags.MultiStatement) && IsPlainBegin(OthersFrames.QueryText(frame.Span)))
        {
            // Clients send the same BEGIN text every time: keep one copy instead of one per transaction.
            if (!frame.Span.SequenceEqual(_lastBegin))
            {
                _lastBegin = frame.ToArray();
            }

            DeferBegin(_lastBegin);

            BackendMessageWriter.WriteCommandComplete(_clientOutput, "BEGIN");
            if (!InScript)
            {
                BackendMessageWriter.WriteReadyForQuery(_clientOutput, TransactionStatus.InTransaction);
            }

            _state.Status = TransactionStatus.InTransaction;
            _state.StrictIsolation = strict;
            return;
        }

        await RunWriteAsync(frame, statement, internalTransaction: false, marksWrite: false);
        _state.StrictIsolation = strict && _state.Status != TransactionStatus.Idle;
    }

    /// <summary>
    /// The live nodes the transaction reached (scratch list, reused); deferred BEGINs that never went out are
    /// dropped, as nothing ran there to end.
    /// </summary>
    private List<NodeLink> StartedLinks()
    {
        _started.Clear();
        foreach (var link in _nodes.All)
        {
            link.PendingBegin = null;
            if (SessionLinks.IsLive(link) && link.Status != TransactionStatus.Idle)
            {
                _started.Add(link);
            }
        }

        return _started;
    }

    /// <summary>Opens the transaction on every live node with the next statement that node gets.</summary>
    private void DeferBegin(byte[] begin)
    {
        foreach (var link in _nodes.All)
        {
            if (SessionLinks.IsLive(link))
            {
                link.PendingBegin = begin;
            }
        }
    }

    /// <summary>
    /// COMMIT, ROLLBACK and friends (DESIGN §3.3): sent to the other nodes first and to main right behind, and
    /// answered once every node has answered. Nodes whose deferred BEGIN never went out have nothing to end. A
    /// COMMIT of a failed transaction rolls the others back; the node that failed answers it as PostgreSQL would.
    /// </summary>
    private async Task EndTransactionAsync(ReadOnlyMemory<byte> frame, StatementKind kind)
    {
        if (_state.Status == TransactionStatus.Idle)
        {
            // No transaction: PostgreSQL answers with a warning; main may say so.
            await RunOnOneAsync(_nodes.Main, frame, countSelect: false);
            return;
        }

        var chain = ChainedBegin(frame.Span);
        var started = StartedLinks();
        if (started.Count == 0)
        {
            // Nothing ever ran in the transaction: answer as PostgreSQL would without bothering any node.
            AnswerEndAlone(kind, chain);
            return;
        }

        var answering = _state.FailedLink is { } failed && started.Contains(failed)
            ? failed
            : started.Contains(_nodes.Main) ? _nodes.Main : started[0];
        var rollBackOthers = kind == StatementKind.Commit && _state.Status == TransactionStatus.Failed;
        started.Remove(answering);
        var others = SessionLinks.Reuse(ref _endOthers, started);
        // Only a transaction that wrote has anything to commit that a common cut could catch half way.
        using var pass = kind == StatementKind.Commit && !rollBackOthers && _state.TransactionWrote
            ? await _write.PassCommitGateAsync()
            : _write.CheckWithoutPass();

        if (kind == StatementKind.Commit && !rollBackOthers && answering == _nodes.Main && _state.TransactionWrote
            && QueryScript.IsPlainEnd(Encoding.UTF8.GetString(OthersFrames.QueryText(frame.Span)).Trim().TrimEnd(';').Trim()))
        {
            var outcome = await _twoPhase.TryCommitAsync(answering, others, () =>
            {
                _host.AnnounceStatement(answering, frame.Span);
                answering.Output.Write(frame.Span);
            });
            if (outcome != TwoPhaseOutcome.NotUsed)
            {
                _answer.Release();
                _host.FinishRequest(_nodes.MainOrNull ?? answering);
                return;
            }
        }

        if (!rollBackOthers && ClientPrepare.GidOf(OthersFrames.QueryText(frame.Span)) is { } gid)
        {
            await PrepareTransactionAsync(frame, answering, others, gid);
            return;
        }

        foreach (var other in others)
        {
            other.SwallowedError = null;
            other.Node.Statistics.CountStatement(Metrics.StatementClass.Transaction);
            other.Inject(rollBackOthers ? OthersRollback(chain) : frame.Span, InjectedReply.QueryCycle);
        }

        // The others' COMMIT goes out first and main's right behind it, without waiting: each node's lock holders
        // are already ordered by main, and the client hears back only once every node has answered.
        await _write.FlushOthersAsync(others);
        _host.AnnounceStatement(answering, frame.Span);
        answering.Output.Write(frame.Span);
        answering.Summary.Clear();
        var commits = kind == StatementKind.Commit && !rollBackOthers;
        var ended = await _write.CompleteEndAsync(answering, others, commits, forward: true, ReplyStop.UntilReady);
        RedeferChainedBegin(chain, answering);
        if (ended)
        {
            BackendMessageWriter.WriteCommandComplete(_clientOutput, "COMMIT");
        }
        else if (commits && !answering.Summary.HasError)
        {
            TakeOutFailedCommits(others);
        }

        _host.FinishRequest(answering);
    }

    /// <summary>A node whose COMMIT failed where main's succeeded has diverged: it is taken out.</summary>
    private void TakeOutFailedCommits(NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (!other.Detached && other.SwallowedError is not null)
            {
                _nodes.Degenerate(other, "COMMIT failed where main's succeeded: " +
                                  Encoding.UTF8.GetString(other.SwallowedError.AsSpan(5)).Replace('\0', ' '));
            }
        }
    }

    /// <summary>
    /// A BEGIN that no node can refuse: BEGIN/START TRANSACTION with only well-formed isolation, access and
    /// deferrable modes. Anything else (comments, typos) runs on the nodes at once, so an error is seen.
    /// </summary>
    private static bool IsPlainBegin(ReadOnlySpan<byte> text)
    {
        if (text.Length > 160)
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return false;
            }

            chars[i] = (char)text[i];
        }

        return PlainBegin().IsMatch(chars);
    }

    [GeneratedRegex(
        @"^\s*(BEGIN(\s+(WORK|TRANSACTION))?|START\s+TRANSACTION)(\s*,?\s*(ISOLATION\s+LEVEL\s+(READ\s+COMMITTED|READ\s+UNCOMMITTED|REPEATABLE\s+READ|SERIALIZABLE)|READ\s+ONLY|READ\s+WRITE|NOT\s+DEFERRABLE|DEFERRABLE))*\s*;?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PlainBegin();
}
