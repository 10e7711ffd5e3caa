namespace Pgproxy.Core.Consistency;

/// <summary>One line of SHOW POOL_CHECK's progress: a table on a node.</summary>
internal sealed record CheckProgressRow(string Database, string Relation, int NodeId, long RowsDone, long RowsTotal,
    TimeSpan Elapsed, bool Finished);
