using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

/// <summary>What the session does for the runners of its requests at the level of a whole request (IRequestHost).</summary>
internal sealed partial class ReplicationSession
{
    /// <summary>The group being run ends with pgproxy's own Sync, whose ReadyForQuery the client must not get.</summary>
    private bool _silentSync;

    /// <summary>
    /// After SELECT … FOR UPDATE SKIP LOCKED (or NOWAIT) ran on main alone: the rest of the transaction reads
    /// where its rows are locked.
    /// </summary>
    public void PinReadsToMain()
    {
        if (_state.Status != TransactionStatus.Idle)
        {
            _state.TransactionWrote = true;
        }
    }

    /// <summary>Tells the client the request is done, with the status of the node that answered it.</summary>
    public void FinishRequest(NodeLink answered)
    {
        SetClientStatus(answered);
        if (_queries.InScript)
        {
            return; // a step of the client's query string: its ReadyForQuery comes once, after the last step
        }

        if (_silentSync)
        {
            _catalog.OnRequestFinished(); // pgproxy's own Sync before a pipelined Query: the client sent none
            return;
        }

        _catalog.OnRequestFinished();
        BackendMessageWriter.WriteReadyForQuery(_client.Output, answered.Status);
    }

    /// <summary>
    /// The statement's kind for routing: a read that calls a volatile function (or one listed in
    /// write_function_list) is a write. The database's volatile functions are read from main the first time.
    /// </summary>
    public async ValueTask<StatementKind> EffectiveKindAsync(StatementClassification statement)
    {
        if (statement.Kind != StatementKind.Read || statement.FunctionNames.Count == 0)
        {
            return statement.Kind;
        }

        var writes = _policy.CallsWriteFunction(statement, _session.Database);
        if (writes is null)
        {
            // The session's own reading, not the shared cache: under other sessions' DDL that may be gone again.
            writes = await _catalog.LoadVolatileFunctionsAsync() is not { } functions
                     || _policy.CallsWriteFunction(statement, functions);
        }

        return writes.Value ? StatementKind.Write : StatementKind.Read;
    }

    /// <summary>
    /// <c>notice_per_node_statement</c> and <c>log_per_node_statement</c>: which node runs what. Called wherever a
    /// client's statement is sent to a node, so it also counts the statement for that node.
    /// </summary>
    public void AnnounceStatement(NodeLink link, ReadOnlySpan<byte> frame)
    {
        link.Node.Statistics.CountStatement(RequestClass);
        var options = _runtime.Options;
        if (!options.NoticePerNodeStatement && !options.LogPerNodeStatement)
        {
            return;
        }

        var text = frame[0] == FrontendMessageType.Query
            ? System.Text.Encoding.UTF8.GetString(OthersFrames.QueryText(frame))
            : "(" + (char)frame[0] + " message)";
        if (options.NoticePerNodeStatement)
        {
            BackendMessageWriter.WriteNoticeResponse(_client.Output, "NOTICE", "00000",
                $"DB node id: {link.NodeId} statement: {text}");
        }

        if (options.LogPerNodeStatement)
        {
            Log.PerNodeStatement(_logger, link.NodeId, text);
        }
    }

    /// <summary>
    /// Reads the others' owed answers (their place on the connections comes first) before they run what main
    /// refused; false when an earlier statement of the transaction diverged: the others' transaction is then failed
    /// like main's and nothing more runs.
    /// </summary>
    public async Task<bool> SettledForReplayAsync(NodeLink main)
    {
        if (!_write.OthersOwe || await _write.SettleAsync() is null)
        {
            return true;
        }

        var failing = FailTransactions(main);
        await _write.FlushOthersAsync(failing);
        await _write.DrainOthersAsync(failing);
        await WritePath.FlushLinkAsync(main);
        await ReadRepliesAsync(main, forward: false, summarize: false, ReplyStop.UntilDrained);
        return false;
    }
}
