using System.Text;
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

    /// <summary>The access mode <see cref="_lastBegin"/> names (TransactionModes.NamedAccess).</summary>
    private bool? _lastBeginAccess;

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
        if (!statement.Flags.HasFlag(StatementFlags.MultiStatement) && IsPlainBegin(frame))
        {
            _nodes.DeferBegin(_lastBegin);

            BackendMessageWriter.WriteCommandComplete(_clientOutput, "BEGIN");
            if (!InScript)
            {
                BackendMessageWriter.WriteReadyForQuery(_clientOutput, TransactionStatus.InTransaction);
            }

            _state.Status = TransactionStatus.InTransaction;
            _state.StrictIsolation = strict;
            _state.IsolationNamed = statement.Flags.HasFlag(StatementFlags.NamesIsolationLevel);
            _state.ReadOnly = _lastBeginAccess;
            return;
        }

        await RunWriteAsync(frame, statement, internalTransaction: false, marksWrite: false);
        _state.StrictIsolation = strict && _state.Status != TransactionStatus.Idle;
        _state.IsolationNamed = statement.Flags.HasFlag(StatementFlags.NamesIsolationLevel)
                                && _state.Status != TransactionStatus.Idle;
        _state.ReadOnly = _state.Status != TransactionStatus.Idle
            ? TransactionModes.NamedAccess(OthersFrames.QueryText(frame.Span))
            : null;
    }

    /// <summary>
    /// Whether the BEGIN is plain (TransactionModes.IsPlainBegin). Clients send the same BEGIN text every time: the
    /// last plain one is kept, with the access mode it names, so a repeated BEGIN is neither copied nor matched again.
    /// </summary>
    private bool IsPlainBegin(ReadOnlyMemory<byte> frame)
    {
        if (frame.Span.SequenceEqual(_lastBegin))
        {
            return true;
        }

        var text = OthersFrames.QueryText(frame.Span);
        if (!TransactionModes.IsPlainBegin(text))
        {
            return false;
        }

        _lastBegin = frame.ToArray();
        _lastBeginAccess = TransactionModes.NamedAccess(text);
        return true;
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
            // A node given only held-back writes has not answered yet (see IsPlainCommit): it is in the transaction.
            if (SessionLinks.IsLive(link) && (link.Status != TransactionStatus.Idle || link.Owes))
            {
                _started.Add(link);
            }
        }

        return _started;
    }

    /// <summary>
    /// COMMIT, ROLLBACK and friends (DESIGN §3.3): sent to the other nodes first and to main right behind, and
    /// answered once every node has answered. Nodes whose deferred BEGIN never went out have nothing to end. A
    /// COMMIT of a failed transaction rolls the others back; the node that failed answers it as PostgreSQL would.
    /// </summary>
    /// <param name="frame">The client's Query message.</param>
    /// <param name="kind">COMMIT, ROLLBACK or another end.</param>
    /// <param name="plainCommit">The statement is a plain COMMIT (<see cref="IsPlainCommit"/>), decided once by the caller.</param>
    private async Task EndTransactionAsync(ReadOnlyMemory<byte> frame, StatementKind kind, bool plainCommit)
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
        if (!rollBackOthers && ClientPrepare.GidOf(OthersFrames.QueryText(frame.Span)) is { } gid)
        {
            // A prepared transaction outlives the session: what it wrote passes the gate as a commit would.
            using var pass = _state.TransactionWrote ? await _write.PassCommitGateAsync() : _write.CheckWithoutPass();
            await PrepareTransactionAsync(frame, answering, others, gid);
            return;
        }

        var commits = kind == StatementKind.Commit && !rollBackOthers;
        var twoPhase = commits && answering == _nodes.Main && _state.TransactionWrote && plainCommit;
        var end = new QueryEnd(this, frame, rollBackOthers ? OthersRollback(chain) : null, commits, twoPhase);
        switch (await _write.EndTransactionAsync(answering, others, end))
        {
            case TransactionEndOutcome.TwoPhase:
                _host.FinishRequest(_nodes.MainOrNull ?? answering);
                return;
            case TransactionEndOutcome.Diverged:
                // As when the owed answers are read before a COMMIT: it fails, and so does the transaction everywhere.
                await _host.RefuseAsync(_write.EndDivergence!.SqlState, _write.EndDivergence.Message, writeReady: true);
                return;
            case TransactionEndOutcome.CommittedWithoutMain:
                RedeferChainedBegin(chain, answering);
                BackendMessageWriter.WriteCommandComplete(_clientOutput, "COMMIT");
                break;
            default:
                RedeferChainedBegin(chain, answering);
                break;
        }

        _host.FinishRequest(answering);
    }

    /// <summary>
    /// COMMIT or END and nothing else: the end the others' owed answers are left to (WritePath.EndTransactionAsync
    /// reads them, with the PREPARE when it commits in two phases) instead of being read before it runs.
    /// </summary>
    private bool IsPlainCommit(StatementKind kind, ReadOnlyMemory<byte> frame) =>
        kind == StatementKind.Commit && _state.Status == TransactionStatus.InTransaction
        && QueryScript.IsPlainEnd(Encoding.UTF8.GetString(OthersFrames.QueryText(frame.Span)).Trim().TrimEnd(';').Trim());
}
