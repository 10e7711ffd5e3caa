using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Replication;

/// <summary>
/// A query string that begins or ends a transaction, run in steps (DESIGN §3.8, <see cref="QueryScript"/>).
/// Every step goes the way it would if the client had sent it alone, so a COMMIT inside the string is ordered
/// like any other; what the client sees is what PostgreSQL sends for the whole string: the same tags, warnings
/// and error positions, one ReadyForQuery, and nothing after the first error. Statements outside BEGIN … COMMIT
/// run, as in PostgreSQL, in an implicit transaction block: a transaction pgproxy opens before them and ends
/// where PostgreSQL would (at the string's end or its next COMMIT/ROLLBACK; rolled back after an error).
/// </summary>
internal sealed partial class QueryRunner
{
    /// <summary>A step of a query string runs: the steps' ReadyForQuery are held back for one at the end.</summary>
    public bool InScript { get; private set; }

    private async Task RunScriptAsync(QueryScript script)
    {
        InScript = true;
        var implicitBlock = false;
        try
        {
            foreach (var step in script.Steps)
            {
                var errors = _replies.ClientErrors;
                _replies.ErrorPositionShift = step.Position;
                var frame = InjectedQueries.Encode(step.Text);
                if (step.Control)
                {
                    await RunControlStepAsync(frame, step, implicitBlock);
                    implicitBlock = false;
                }
                else
                {
                    if (_state.Status == TransactionStatus.Idle)
                    {
                        _nodes.DeferBegin(InjectedQueries.Begin);
                        _state.Status = TransactionStatus.InTransaction;
                        implicitBlock = true;
                    }

                    await RunStatementAsync(frame, step.Statement);
                }

                _replies.ErrorPositionShift = 0;
                if (_replies.ClientErrors != errors || !HasLiveNode())
                {
                    // PostgreSQL skips the rest of the string; an implicit block is rolled back, an explicit one
                    // stays failed for the client to end.
                    if (implicitBlock && _state.Status != TransactionStatus.Idle)
                    {
                        await EndImplicitBlockAsync(commit: false);
                    }

                    implicitBlock = false;
                    break;
                }
            }

            if (implicitBlock && _state.Status != TransactionStatus.Idle)
            {
                await EndImplicitBlockAsync(commit: true);
            }
        }
        finally
        {
            InScript = false;
            _replies.ErrorPositionShift = 0;
        }

        _catalog.OnRequestFinished();
        BackendMessageWriter.WriteReadyForQuery(_clientOutput, _state.Status);
    }

    /// <summary>
    /// BEGIN, COMMIT, ROLLBACK, PREPARE TRANSACTION or a savepoint statement. Inside an implicit block PostgreSQL
    /// turns a BEGIN into the start of an explicit transaction without a word, ends the block at COMMIT/ROLLBACK
    /// with the warning it gives when no transaction is open, and refuses the rest as it would with none open.
    /// </summary>
    private async Task RunControlStepAsync(byte[] frame, QueryScriptStep step, bool implicitBlock)
    {
        if (!implicitBlock)
        {
            await RunStatementAsync(frame, step.Statement);
            return;
        }

        switch (step.Statement.Kind)
        {
            case StatementKind.Begin when QueryScript.IsBareBegin(step.Text):
                BackendMessageWriter.WriteCommandComplete(_clientOutput, "BEGIN");
                return;
            case StatementKind.Begin:
                // Modes after statements already ran: the node says whether it can still take them.
                await RunStatementAsync(frame, step.Statement);
                return;
            case StatementKind.Commit or StatementKind.Rollback when QueryScript.IsPlainEnd(step.Text):
                BackendMessageWriter.WriteNoticeResponse(_clientOutput, "WARNING", "25P01",
                    "there is no transaction in progress");
                await RunStatementAsync(frame, step.Statement);
                return;
            default:
                await EndImplicitBlockAsync(commit: false);
                await RunStatementAsync(frame, step.Statement);
                return;
        }
    }

    /// <summary>
    /// Ends the implicit block without a word to the client (PostgreSQL says nothing at the end of the string):
    /// the others' owed answers are compared first; a COMMIT that fails on main is the client's error.
    /// </summary>
    private async Task EndImplicitBlockAsync(bool commit)
    {
        if (_write.OthersOwe && await _host.SettleOrRaiseAsync(writeReady: true))
        {
            commit = false; // the mismatch failed the transaction on every node
        }

        var started = StartedLinks();

        var main = _nodes.MainOrNull;
        if (main is null)
        {
            return;
        }

        if (started.Count > 0)
        {
            var answering = started.Contains(main) ? main : started[0];
            started.Remove(answering);
            var errors = _replies.ClientErrors;
            await _write.EndInternalTransactionAsync(answering, SessionLinks.Reuse(ref _endOthers, started), commit);
            main = answering;
            if (main.SwallowedError is not null && _replies.ClientErrors == errors)
            {
                _replies.ClientErrors++; // its COMMIT's error went to the client
            }
        }

        _host.SetClientStatus(main);
    }

    private bool HasLiveNode() => _nodes.MainOrNull is not null;
}
