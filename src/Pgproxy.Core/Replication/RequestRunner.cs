using System.IO.Pipelines;
using Pgproxy.Core.Backends;
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

        TransactionDefaults? defaults = null;
        if (!_state.StrictIsolation && !_state.IsolationNamed)
        {
            defaults = await _catalog.TransactionDefaultsAsync();
            _state.StrictIsolation = defaults.Value.Strict;
        }

        if (!_state.StrictIsolation || _state.SnapshotShared)
        {
            return false;
        }

        // A transaction that named no access mode is READ ONLY when the session's default says so: a SERIALIZABLE
        // one made READ ONLY DEFERRABLE by the defaults would otherwise wait at its first query for the writers whose
        // commits wait on the gate it closed.
        _state.ReadOnly ??= (defaults ?? await _catalog.TransactionDefaultsAsync()).ReadOnly;
        return _state.ReadOnly is false;
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
}
