using System.Diagnostics.CodeAnalysis;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Runs writes that create, alter or drop one at a time across the proxy, each from main's statement to the others'
/// answers — for an autocommit write, to its commit on every node (issue 17 item 4). Such a write draws OIDs from
/// the node's one counter (a type and its array type, a table and its row type, an extension's objects), so two
/// sessions' <c>CREATE TYPE</c> interleaved on main in one order and on another node in the other numbered the same
/// types differently there; a client that loaded type OIDs from one node and sent them to another got "cache
/// lookup failed for type" (Npgsql loads its types on whichever node serves the read). In order, concurrent
/// <c>CREATE EXTENSION IF NOT EXISTS</c> also stop racing: the loser no longer fails on main after drawing OIDs
/// while finding the winner's extension committed on the others, where it drew none; it finds it on main too.
/// </summary>
/// <remarks>
/// An autocommit write waits here outside any transaction, holding no lock, so a holder never waits on it: it may
/// wait long (<see cref="AutocommitWait"/>). A write inside a transaction (the client's, or the implicit block of a
/// group cut at its COMMIT, as Npgsql's <c>START TRANSACTION; …; COMMIT; CREATE TABLE …</c>) may hold a lock the
/// holder waits for on a node: it waits briefly (<see cref="InTransactionWait"/>). Past either bound the write runs
/// unordered, as it did before; so do OIDs drawn by anything else (a TOASTed value, a TRUNCATE's new file), which
/// still depend on timing. The order makes the common case, schema set up by concurrent sessions, number alike.
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The semaphore's wait handle is never asked for, so disposing it would release nothing.")]
internal sealed class CatalogWriteOrder
{
    /// <summary>How long an autocommit write waits for its turn.</summary>
    public static readonly TimeSpan AutocommitWait = TimeSpan.FromSeconds(10);

    /// <summary>How long a write inside a transaction waits for its turn.</summary>
    public static readonly TimeSpan InTransactionWait = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly TimeSpan _autocommitWait;
    private readonly TimeSpan _inTransactionWait;

    public CatalogWriteOrder(TimeSpan? autocommitWait = null, TimeSpan? inTransactionWait = null)
    {
        _autocommitWait = autocommitWait ?? AutocommitWait;
        _inTransactionWait = inTransactionWait ?? InTransactionWait;
    }

    /// <summary>
    /// Waits for this write's turn when <paramref name="ordered"/>, as long as <paramref name="autocommit"/> allows;
    /// the turn is held until the returned value is disposed. Not ordered, or waited past the bound: nothing is held.
    /// </summary>
    public async ValueTask<Turn> EnterAsync(bool ordered, bool autocommit)
    {
        if (!ordered)
        {
            return default;
        }

        if (!await _turn.WaitAsync(autocommit ? _autocommitWait : _inTransactionWait))
        {
            return default;
        }

        return new Turn(_turn, await AlignAsync());
    }

    /// <summary>
    /// Aligns the nodes' OID counters again within a turn (the write ran, was found numbered apart, and was rolled
    /// back): true when they now draw alike.
    /// </summary>
    public async Task<bool> AlignAsync() => Counters is { } counters && await counters.AlignAsync();

    /// <summary>Schema changes rolled back and run again because their nodes numbered them apart (OidNumbering).</summary>
    public long RanAgain => Interlocked.Read(ref _ranAgain);

    /// <summary>Schema changes that committed numbered apart after their last run.</summary>
    public long CommittedApart => Interlocked.Read(ref _committedApart);

    private long _ranAgain;
    private long _committedApart;

    public void CountRanAgain() => Interlocked.Increment(ref _ranAgain);

    public void CountCommittedApart() => Interlocked.Increment(ref _committedApart);

    /// <summary>Aligns the nodes' OID counters at the start of each turn (set while the server runs).</summary>
    public OidCounters? Counters { get; set; }

    /// <summary>One write's turn; disposing it lets the next write in.</summary>
    /// <param name="held">The order's semaphore, entered; null when the write runs unordered.</param>
    /// <param name="aligned">Every live node's counter gives the same next OID as the turn starts.</param>
    internal readonly struct Turn(SemaphoreSlim? held, bool aligned) : IDisposable
    {
        public bool Held => held is not null;

        /// <summary>Held, and the nodes' counters were brought level: what the write draws can be checked.</summary>
        public bool Aligned => held is not null && aligned;

        public void Dispose() => held?.Release();
    }
}
