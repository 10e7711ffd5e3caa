using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// insert_lock's session-level locks on one node (InjectedQueries.LockTableForSession), from the INSERT that took
/// one to the unlock that ends it. Released before the node's next statement while its transaction can still run
/// one, else once the transaction is over (ReplicationSession.ReleaseInsertLocksAsync). A session-level lock
/// outlives the transaction: one pgproxy forgot would stop every other inserter into the table on main, so a lock
/// whose query failed (a cancel that may have landed after the grant) is released too, by the table's name, and
/// an unlock that failed is sent again.
/// </summary>
internal sealed class SessionInsertLocks
{
    private readonly List<Entry> _held = [];
    private readonly Queue<Entry> _unanswered = new();
    private List<Entry>? _unlocking;
    private bool _unlockFailed;

    /// <summary>True while a lock may be held or an unlock is unanswered.</summary>
    public bool Any => _held.Count > 0 || _unlocking is not null;

    /// <summary>Locks may be released now: some are held, none is being released, the transaction runs.</summary>
    public bool CanUnlock(TransactionStatus status) =>
        _held.Count > 0 && _unlocking is null && status != TransactionStatus.Failed;

    /// <summary>The lock query for <paramref name="table"/> was sent.</summary>
    public void Took(string table)
    {
        var entry = new Entry(table);
        _held.Add(entry);
        _unanswered.Enqueue(entry);
    }

    /// <summary>The lock query's DataRow: the table's OID.</summary>
    public void Locked(string? oid)
    {
        if (_unanswered.TryPeek(out var entry))
        {
            entry.Oid = oid;
        }
    }

    /// <summary>The lock query's ReadyForQuery.</summary>
    public void LockAnswered() => _unanswered.TryDequeue(out _);

    /// <summary>The unlock query: one call per lock held, as PostgreSQL counts them.</summary>
    public byte[] StartUnlock()
    {
        _unlocking = [.. _held];
        _held.Clear();
        _unlockFailed = false;
        var calls = _unlocking.Select(e => InjectedQueries.UnlockCall(e.Table, e.Oid));
        return InjectedQueries.Encode("SELECT " + string.Join(", ", calls));
    }

    /// <summary>The unlock query failed (a cancel): its locks are still held.</summary>
    public void UnlockFailed() => _unlockFailed = true;

    /// <summary>The unlock query's ReadyForQuery.</summary>
    public void UnlockAnswered()
    {
        if (_unlockFailed && _unlocking is not null)
        {
            _held.InsertRange(0, _unlocking);
        }

        _unlocking = null;
        _unlockFailed = false;
    }

    /// <summary>Forgets every lock: the connection is gone, or reset (DISCARD ALL releases them).</summary>
    public void Clear()
    {
        _held.Clear();
        _unanswered.Clear();
        _unlocking = null;
    }

    private sealed class Entry(string table)
    {
        public string Table { get; } = table;

        public string? Oid { get; set; }
    }
}
