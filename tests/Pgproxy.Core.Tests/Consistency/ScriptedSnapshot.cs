using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

/// <summary>
/// A node's snapshot that answers from a script: <c>answer</c> gets each query's text and returns its rows (null:
/// the test did not expect that query, which fails it). Records the queries, and fails when two run at once, since a
/// real snapshot is one connection.
/// </summary>
internal sealed class ScriptedSnapshot(int nodeId, Func<string, IReadOnlyList<string?[]>?> answer) : ISnapshotQuery
{
    private int _running;

    public int NodeId => nodeId;

    public List<string> Queries { get; } = [];

    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _running) != 1)
        {
            throw new InvalidOperationException($"node {nodeId}: two queries at once");
        }

        try
        {
            Queries.Add(sql);
            await Task.Yield();
            return answer(sql) ?? throw new InvalidOperationException($"node {nodeId}: unexpected query {sql}");
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
