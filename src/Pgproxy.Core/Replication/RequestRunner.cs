using System.IO.Pipelines;
using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// What both runners of a session's requests hold (<see cref="QueryRunner"/> for Query messages,
/// <see cref="GroupRunner"/> for extended-protocol groups): the session's collaborators, unpacked from
/// <see cref="RequestParts"/> once.
/// </summary>
internal abstract class RequestRunner(RequestParts parts)
{
    /// <summary>Statements PostgreSQL runs without a snapshot, some of which must come before one (LOCK…).</summary>
    private static readonly HashSet<string> RunsWithoutSnapshot = new(StringComparer.Ordinal)
    {
        "SET", "RESET", "SHOW", "LOCK", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "END", "ABORT", "BEGIN",
        "START", "PREPARE", "DEALLOCATE", "LISTEN", "UNLISTEN", "NOTIFY",
    };

    private protected readonly IRequestHost _host = parts.Host;
    private protected readonly SessionLinks _nodes = parts.Nodes;
    private protected readonly ClientState _state = parts.State;
    private protected readonly ReplyReader _replies = parts.Replies;
    private protected readonly WritePath _write = parts.Write;
    private protected readonly TwoPhaseCommit _twoPhase = parts.Write.TwoPhase;
    private protected readonly HeldAnswer _answer = parts.Answer;
    private protected readonly AnswerDeadline _deadline = parts.Deadline;
    private protected readonly CopyInRelay _copyIn = parts.CopyIn;
    private protected readonly MainCatalog _catalog = parts.Catalog;
    private protected readonly IdleWatch _idle = parts.Idle;
    private protected readonly RoutingPolicy _policy = parts.Policy;
    private protected readonly PipeWriter _clientOutput = parts.ClientOutput;
    private protected readonly TimeProvider _time = parts.Time;

    /// <summary>
    /// Whether a statement whose first keyword is <paramref name="firstKeyword"/> is the first query of a REPEATABLE
    /// READ or SERIALIZABLE transaction while other nodes are live: the transaction's snapshot must then be taken on
    /// every node at one point first (WritePath.ShareSnapshotAsync). A transaction that named no level runs under the
    /// session's default, which main is asked for (<see cref="MainCatalog.TransactionDefaultsAsync"/>); from
    /// then on its reads go to main too, as after BEGIN ISOLATION LEVEL SERIALIZABLE.
    /// </summary>
    private protected async ValueTask<bool> NeedsSharedSnapshotAsync(string? firstKeyword)
    {
        if (_state.FirstQueryDone || _state.Status != TransactionStatus.InTransaction
            || (firstKeyword is not null && RunsWithoutSnapshot.Contains(firstKeyword)))
        {
            return false;
        }

        _state.FirstQueryDone = true;
        if (!_nodes.HasLiveOthers)
        {
            return false;
        }

        var (strict, readOnly) = await TransactionModesAsync(_state.StrictIsolation, _state.IsolationNamed,
            _state.ReadOnly);
        _state.StrictIsolation = strict;
        if (!strict || _state.SnapshotShared)
        {
            return false;
        }

        _state.ReadOnly = readOnly;
        return !readOnly;
    }

    /// <summary>
    /// Whether a transaction is strict (REPEATABLE READ or SERIALIZABLE) and READ ONLY, from what it named (its BEGIN,
    /// its SET TRANSACTION) and, for what it left unnamed, the session's defaults, which main is asked for only then.
    /// A READ ONLY one writes nothing, so its snapshot is not shared: a SERIALIZABLE READ ONLY DEFERRABLE one waits at
    /// its first query for the serializable writers to finish, whose commits would wait on the gate it closed.
    /// </summary>
    private protected async ValueTask<(bool Strict, bool ReadOnly)> TransactionModesAsync(bool strict,
        bool levelNamed, bool? readOnly)
    {
        if (levelNamed && !strict)
        {
            return (false, readOnly ?? false); // a weaker level shares nothing: no need to ask
        }

        if (strict && readOnly is { } named)
        {
            return (true, named);
        }

        var defaults = await _catalog.TransactionDefaultsAsync();
        return (strict || defaults.Strict, readOnly ?? defaults.ReadOnly);
    }

    /// <summary>
    /// Takes the transaction's snapshot on every node; true when the request was refused instead: a node's owed
    /// answer diverged, or the gate could not be closed (40001: nothing ran; the transaction is failed everywhere,
    /// as after a serialization failure).
    /// </summary>
    private protected async Task<bool> ShareSnapshotOrRefuseAsync(bool writeReady)
    {
        // Answers the others still owe (a SET TRANSACTION of this transaction) come before the injected query's.
        if (_write.OthersOwe && await _host.SettleOrRefuseAsync(writeReady))
        {
            return true;
        }

        if (await _write.ShareSnapshotAsync() is not { } failure)
        {
            _state.SnapshotShared = true;
            return false;
        }

        await _host.RefuseAsync("40001",
            "pgproxy could not take the transaction's snapshot on every node at one point: " + failure, writeReady);
        return true;
    }

    /// <summary>
    /// True when every function the statement calls only reads (the database's pg_proc is read once): a write that
    /// runs again after a 40001 of its shared snapshot does nothing twice (WritePath.ShareWriteSnapshotAsync).
    /// </summary>
    private protected async ValueTask<bool> CallsOnlyReadFunctionsAsync(StatementClassification statement) =>
        _policy.CallsWriteFunction(statement, _catalog.Database) is { } writes
            ? !writes
            : await _catalog.LoadVolatileFunctionsAsync() is { } functions
              && !_policy.CallsWriteFunction(statement, functions);
}
