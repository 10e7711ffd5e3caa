using System.Diagnostics.CodeAnalysis;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Runs autocommit writes that create, alter or drop one at a time across the proxy, each from main's statement to
/// its commit on every node (issue 17 item 4). Such a write draws OIDs from the node's one counter (a type and its
/// array type, a table and its row type, an extension's objects), so two sessions' <c>CREATE TYPE</c> interleaved
/// on main in one order and on another node in the other numbered the same types differently there; a client that
/// loaded type OIDs from one node and sent them to another got "cache lookup failed for type" (Npgsql loads its
/// types on whichever node serves the read). In order, concurrent <c>CREATE EXTENSION IF NOT EXISTS</c> also stop
/// racing: the loser no longer fails on main after drawing OIDs while finding the winner's extension committed on
/// the others, where it drew none; it finds it on main too.
/// </summary>
/// <remarks>
/// Only autocommit writes wait here: a waiting session is outside any transaction and holds no lock, so the holder
/// never waits on a waiter, whatever it waits for on a node. The wait is bounded anyway (a holder stuck behind a
/// long transaction's lock must not stop every other session's DDL): past it the write runs unordered, as it did
/// before. OIDs drawn by anything else (a TOASTed value, a TRUNCATE's new file) still depend on timing; the order
/// makes the common case, schema set up by concurrent sessions, number alike.
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The semaphore's wait handle is never asked for, so disposing it would release nothing.")]
internal sealed class CatalogWriteOrder
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly TimeSpan _longestWait;

    public CatalogWriteOrder(TimeSpan? longestWait = null) => _longestWait = longestWait ?? TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits for this write's turn when <paramref name="ordered"/>; the turn is held until the returned value is
    /// disposed. Not ordered, or waited past the bound: nothing is held.
    /// </summary>
    public async ValueTask<Turn> EnterAsync(bool ordered)
    {
        if (!ordered)
        {
            return default;
        }

        return await _turn.WaitAsync(_longestWait) ? new Turn(_turn) : default;
    }

    /// <summary>One write's turn; disposing it lets the next write in.</summary>
    internal readonly struct Turn(SemaphoreSlim? held) : IDisposable
    {
        public bool Held => held is not null;

        public void Dispose() => held?.Release();
    }
}
