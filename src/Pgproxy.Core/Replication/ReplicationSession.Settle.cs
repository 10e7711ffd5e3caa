namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>
    /// Before a write of the client's transaction that does not pass the owed answers reaches the others: settles
    /// them, and when they diverged fails the request on every node instead (true: the request is answered).
    /// </summary>
    public async ValueTask<bool> SettleOrRaiseAsync(bool writeReady)
    {
        if (!_write.OthersOwe || await _write.SettleAsync() is not { } late)
        {
            return false;
        }

        // The others diverged on an earlier statement of this transaction (read only now): the transaction fails
        // on every node before this one reaches them.
        await FailRequestAsync(late.SqlState, late.Message, writeReady);
        return true;
    }

    /// <summary>
    /// Settles the others' owed answers before a request that involves them; when a divergence must fail the
    /// client's transaction, the request is answered with that error (on every node alike) and true returned.
    /// </summary>
    public async ValueTask<bool> SettleOrRefuseAsync(bool writeReady)
    {
        if (await _write.SettleAsync() is not { } failure)
        {
            return false;
        }

        await RefuseAsync(failure.SqlState, failure.Message, writeReady);
        return true;
    }
}
