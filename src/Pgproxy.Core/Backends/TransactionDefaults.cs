namespace Pgproxy.Core.Backends;

/// <summary>
/// What a transaction that names neither its isolation level nor its access mode runs under, as main reported it
/// (<c>default_transaction_isolation</c>, <c>default_transaction_read_only</c>): whether it is REPEATABLE READ or
/// SERIALIZABLE, and whether it is READ ONLY. Set by the role, the database, the startup options or the client's SET,
/// none of which pgproxy reads itself.
/// </summary>
internal readonly record struct TransactionDefaults(bool Strict, bool ReadOnly)
{
    /// <summary>What pgproxy assumes when main could not be asked: PostgreSQL's own defaults.</summary>
    public static TransactionDefaults Unknown => default;
}
