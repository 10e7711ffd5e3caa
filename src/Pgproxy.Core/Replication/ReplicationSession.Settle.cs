namespace Pgproxy.Core.Replication;

internal sealed partial class ReplicationSession
{
    /// <summary>True when some other node still owes the answer to a statement of the client's transaction.</summary>
    private bool _othersOwe;

    /// <summary>
    /// Inside the client's own transaction a write's answers from the other nodes need not hold the client up:
    /// nothing they did can commit before the client's COMMIT, and main's locks already order them. So the
    /// others get the statement once main has answered, as always, but the client hears main's answer at once
    /// and the others' answers are read and compared before the next thing that involves them (SettleAsync).
    /// A transaction then costs one round trip per write instead of two, and its locks on main are held that
    /// much shorter.
    /// </summary>
    private void Defer(NodeLink main, NodeLink[] others)
    {
        foreach (var other in others)
        {
            if (!other.Detached)
            {
                other.Expected.CopyFrom(main.Summary);
                other.Owes = true;
                _othersOwe = true;
            }
        }
    }

    /// <summary>
    /// Reads the answers the other nodes still owe and compares each with main's. A node that failed or that
    /// diverged with the degenerate settings on is taken out; with them off the divergence is returned, and the
    /// caller fails the client's request (and with it the transaction, everywhere) instead of running it.
    /// </summary>
    private async ValueTask<string?> SettleAsync()
    {
        if (!_othersOwe)
        {
            return null;
        }

        _othersOwe = false;
        string? failure = null;
        var mainId = Main.NodeId;
        foreach (var link in _links)
        {
            if (!link.Owes)
            {
                continue;
            }

            link.Owes = false;
            if (!IsLive(link))
            {
                // Taken out by another session meanwhile: its answer no longer matters, its connection must go.
                Degenerate(link, "node is down");
                continue;
            }

            if (await ReadAnswerAsync(link) && Compare(link, link.Expected, mainId) is { } message)
            {
                failure ??= message;
            }
        }

        return failure;
    }

    /// <summary>
    /// Settles the others' owed answers before a request that involves them; when a divergence must fail the
    /// client's transaction, the request is answered with that error (on every node alike) and true returned.
    /// </summary>
    private async ValueTask<bool> SettleOrRefuseAsync(bool writeReady)
    {
        if (await SettleAsync() is not { } failure)
        {
            return false;
        }

        await RefuseAsync(Main, "XX001", failure, writeReady);
        return true;
    }
}
