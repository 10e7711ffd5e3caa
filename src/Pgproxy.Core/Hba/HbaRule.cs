namespace Pgproxy.Core.Hba;

/// <summary>
/// One pool_hba.conf record. Keywords (<c>all</c>, <c>sameuser</c>, <c>replication</c>) are kept as written;
/// a keyword that was double-quoted in the file is kept with its quotes (<c>"all"</c>) because it then names a
/// database or user literally, as in PostgreSQL. <see cref="Address"/> is <c>ip/prefix</c> (an <c>IP MASK</c>
/// pair is converted), a host name or <c>.suffix</c>, or <c>all</c>/<c>samehost</c>/<c>samenet</c>; null for local.
/// </summary>
public sealed record HbaRule(
    int Line,
    HbaConnectionType Type,
    IReadOnlyList<string> Databases,
    IReadOnlyList<string> Users,
    string? Address,
    string Method,
    IReadOnlyDictionary<string, string> Options);
