namespace Pgproxy.Core.Replication;

/// <summary>
/// How many of pgproxy's transactions may be prepared on each node at once: the node's
/// <c>max_prepared_transactions</c>, read at start. Without it, more sessions committing at once than the node allows
/// got 53200 from PREPARE TRANSACTION there and their transactions failed (8 pgbench clients against
/// max_prepared_transactions = 2: 6 aborted within a second); with it, a session waits for a slot instead.
/// Waiting cannot deadlock: a session asks for slots only at COMMIT, when its statements already hold their locks on
/// main; one that holds a slot needs nothing more from a waiter (main's locks order the others' — it never waits on a
/// lock a waiting session holds), so slots come back as fast as commits finish. Several nodes' slots are taken in
/// node order. Transactions prepared by others (another pgproxy, an application) still count against the node's
/// limit: PREPARE can still fail there, as before.
/// </summary>
internal sealed class PrepareSlots
{
    // Indexed by node id; null where no limit is known (a node attached after start, one_phase).
    private volatile SemaphoreSlim?[] _slots = [];
    private long _waits;
    private int _waiting;

    /// <summary>Commits that had to wait for a slot on some node.</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Commits waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>The limit of <paramref name="nodeId"/> (its max_prepared_transactions), as read at start.</summary>
    public void SetLimit(int nodeId, int limit)
    {
        var slots = _slots;
        if (nodeId >= slots.Length)
        {
            Array.Resize(ref slots, nodeId + 1);
        }
        else
        {
            slots = (SemaphoreSlim?[])slots.Clone();
        }

        slots[nodeId] = new SemaphoreSlim(limit, limit);
        _slots = slots;
    }

    /// <summary>
    /// Takes a slot on each live node of <paramref name="others"/> that has a limit, in node order; returns the nodes
    /// taken as a mask, for <see cref="Release"/>.
    /// </summary>
    public async ValueTask<ulong> AcquireAsync(NodeLink[] others)
    {
        var slots = _slots;
        ulong taken = 0;
        var waited = false;
        try
        {
            for (var nodeId = 0; nodeId < slots.Length && nodeId < 64; nodeId++)
            {
                if (slots[nodeId] is not { } slot || !Includes(others, nodeId))
                {
                    continue;
                }

                if (!slot.Wait(0))
                {
                    waited = true;
                    Interlocked.Increment(ref _waiting);
                    try
                    {
                        await slot.WaitAsync();
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _waiting);
                    }
                }

                taken |= 1UL << nodeId;
            }
        }
        catch
        {
            Release(taken);
            throw;
        }

        if (waited)
        {
            Interlocked.Increment(ref _waits);
        }

        return taken;
    }

    /// <summary>Gives back the slots <see cref="AcquireAsync"/> took.</summary>
    public void Release(ulong taken)
    {
        var slots = _slots;
        for (var nodeId = 0; taken != 0; nodeId++, taken >>= 1)
        {
            if ((taken & 1) != 0 && nodeId < slots.Length)
            {
                slots[nodeId]?.Release();
            }
        }
    }

    private static bool Includes(NodeLink[] others, int nodeId)
    {
        foreach (var other in others)
        {
            if (other.NodeId == nodeId && !other.Detached)
            {
                return true;
            }
        }

        return false;
    }
}
