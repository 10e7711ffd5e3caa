using Pgproxy.Core.Routing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

internal sealed partial class QueryRunner
{
    /// <summary>
    /// Whether the statement is the first query of a REPEATABLE READ or SERIALIZABLE transaction while other nodes
    /// are live: its snapshot must then be taken on every node at one point (WritePath.ShareSnapshotAsync). Not for
    /// what PostgreSQL runs without a snapshot and may require before one (SET TRANSACTION, LOCK, SAVEPOINT…).
    /// </summary>
    private bool NeedsSharedSnapshot(RouteDecision route, StatementClassification statement) =>
        _state.StrictIsolation && !_state.SnapshotShared && _state.Status == TransactionStatus.InTransaction
        && _nodes.HasLiveOthers && route is not (RouteDecision.Begin or RouteDecision.EndTransaction)
        && statement.FirstKeyword is not ("SET" or "RESET" or "SHOW" or "LOCK" or "SAVEPOINT" or "RELEASE"
            or "ROLLBACK" or "PREPARE" or "DEALLOCATE" or "LISTEN" or "UNLISTEN" or "NOTIFY");

    /// <summary>
    /// Takes the transaction's snapshot on every node; true when the statement was refused instead: a node's owed
    /// answer diverged, or the gate could not be closed (40001: nothing ran; the transaction is failed everywhere,
    /// as after a serialization failure).
    /// </summary>
    private async Task<bool> ShareSnapshotOrRefuseAsync()
    {
        // Answers the others still owe (a SET TRANSACTION of this transaction) come before the injected query's.
        if (_write.OthersOwe && await _host.SettleOrRefuseAsync(writeReady: !InScript))
        {
            return true;
        }

        if (await _write.ShareSnapshotAsync() is not { } failure)
        {
            _state.SnapshotShared = true;
            return false;
        }

        await _host.RefuseAsync("40001",
            "pgproxy could not take the transaction's snapshot on every node at one point: " + failure,
            writeReady: !InScript);
        return true;
    }
}
