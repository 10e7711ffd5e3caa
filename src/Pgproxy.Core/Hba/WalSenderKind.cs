namespace Pgproxy.Core.Hba;

/// <summary>
/// What a StartupMessage's <c>replication</c> parameter asks PostgreSQL for, which decides how pool_hba.conf's
/// database field is read (PostgreSQL's check_db): a physical walsender matches only the <c>replication</c> keyword,
/// a logical one (<c>replication=database</c>) matches like an ordinary session, never <c>replication</c>.
/// </summary>
public enum WalSenderKind
{
    /// <summary>An ordinary session (no <c>replication</c>, or a false one).</summary>
    None,

    /// <summary><c>replication=true|on|yes|1</c>…: streaming of the whole cluster's WAL, no database.</summary>
    Physical,

    /// <summary><c>replication=database</c>: logical decoding in the named database.</summary>
    Logical,
}
