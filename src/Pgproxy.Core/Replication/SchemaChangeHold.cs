namespace Pgproxy.Core.Replication;

/// <summary>
/// Refuses schema changes (CREATE, ALTER, DROP, GRANT…; see <c>StatementFlags.SchemaChange</c>) while a recovery
/// copies main: its schema was dumped at the start and logical replication carries rows only, so DDL sent in
/// between would reach every node but the one being recovered. Held from the schema copy until the cutover (or
/// the failure) of a recovery. Sessions read it once per schema-changing statement: a volatile field, no lock.
/// </summary>
internal sealed class SchemaChangeHold
{
    /// <summary>SQLSTATE of the refusal: object_not_in_prerequisite_state — retrying later succeeds.</summary>
    public const string SqlState = "55000";

    private volatile string? _refusal;

    /// <summary>The error a schema change gets now, or null when schema changes run.</summary>
    public string? Refusal => _refusal;

    public void Hold(int nodeId) =>
        _refusal = $"pgproxy refuses schema changes while node {nodeId} is being recovered: the recovery copies " +
                   "rows by logical replication, which does not carry DDL, so the node would miss it; retry once " +
                   "SHOW POOL_RECOVERY says the recovery finished";

    public void Release() => _refusal = null;
}
