using Npgsql;
using Pgproxy.Core.Consistency;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>
/// A fresh database of the same name on every node, written to directly (never through pgproxy), compared with
/// <see cref="DatabaseComparer"/> over <see cref="NpgsqlSnapshot"/>s, and dropped afterwards.
/// </summary>
internal sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly IReadOnlyList<PostgresInstance> _nodes;

    private ScratchDatabase(IReadOnlyList<PostgresInstance> nodes, string name)
    {
        _nodes = nodes;
        Name = name;
    }

    public string Name { get; }

    public CheckProgress Progress { get; } = new(TimeProvider.System);

    public static async Task<ScratchDatabase> CreateAsync(IReadOnlyList<PostgresInstance> nodes)
    {
        var name = NodeSql.UniqueTable("cc");
        foreach (var node in nodes)
        {
            await NodeSql.ExecuteAsync(node, $"CREATE DATABASE {name}");
        }

        return new ScratchDatabase(nodes, name);
    }

    /// <summary>Runs <paramref name="sql"/> on every node.</summary>
    public async Task OnEveryNodeAsync(string sql)
    {
        foreach (var node in Enumerable.Range(0, _nodes.Count))
        {
            await OnNodeAsync(node, sql);
        }
    }

    /// <summary>Runs <paramref name="sql"/> on one node only, as a job bypassing pgproxy would.</summary>
    public async Task OnNodeAsync(int node, string sql)
    {
        await using var conn = new NpgsqlConnection(_nodes[node].ConnectionStringFor(Name));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>One value read from one node directly.</summary>
    public async Task<T> ScalarAsync<T>(int node, string sql)
    {
        await using var conn = new NpgsqlConnection(_nodes[node].ConnectionStringFor(Name));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<DatabaseCheck> CompareAsync(CheckSettings settings, params string[] tables)
    {
        var snapshots = new List<NpgsqlSnapshot>();
        try
        {
            for (var i = 0; i < _nodes.Count; i++)
            {
                snapshots.Add(await NpgsqlSnapshot.OpenAsync(i, _nodes[i].ConnectionStringFor(Name)));
            }

            var comparer = new DatabaseComparer(settings, Progress, TimeProvider.System);
            return await comparer.CompareAsync(Name, snapshots, tables, CancellationToken.None);
        }
        finally
        {
            foreach (var snapshot in snapshots)
            {
                await snapshot.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await NodeSql.ExecuteAsync(node, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
        }
    }
}
