namespace Pgproxy.Core.Recovery;

/// <summary>
/// The names of what a recovery creates. Everything starts with <see cref="Prefix"/>, so leftovers of a pgproxy
/// that died mid-recovery are found by name alone.
/// </summary>
internal static class RecoveryNames
{
    public const string Prefix = "pgproxy_recover_";

    /// <summary>The LIKE pattern matching every name of ours (the underscores escaped).</summary>
    public const string LikePattern = @"pgproxy\_recover\_%";

    /// <summary>The publication on main and the subscription on the node (one per database, same name).</summary>
    public static string Publication(int nodeId) => $"{Prefix}{nodeId}";

    public static string Subscription(int nodeId) => $"{Prefix}{nodeId}";

    /// <summary>
    /// The slot on main: slots are per cluster while subscriptions are per database, so the database's oid on main
    /// tells the slots of one recovery apart.
    /// </summary>
    public static string Slot(int nodeId, uint databaseOid) => $"{Prefix}{nodeId}_{databaseOid}";

    /// <summary>application_name of the recovery's own connections (pg_stat_activity).</summary>
    public static string ApplicationName(int nodeId) => $"pgproxy recover node {nodeId}";
}
