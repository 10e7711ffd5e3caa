using System.Globalization;
using Npgsql;
using Pgproxy.Core.Consistency;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>
/// A test's stand-in for one node's side of a common cut: one connection, the output settings the real snapshot
/// fixes, and a REPEATABLE READ READ ONLY transaction every query runs in.
/// </summary>
internal sealed class NpgsqlSnapshot : ISnapshotQuery, IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;

    private NpgsqlSnapshot(int nodeId, NpgsqlConnection connection)
    {
        NodeId = nodeId;
        _connection = connection;
    }

    public int NodeId { get; }

    /// <summary>Queries run so far, for tests that look at how the comparer read a table.</summary>
    public List<string> Queries { get; } = [];

    public static async Task<NpgsqlSnapshot> OpenAsync(int nodeId, string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var setup = new NpgsqlCommand(
            "SET TimeZone='UTC'; SET DateStyle='ISO'; SET IntervalStyle='postgres'; SET extra_float_digits=1; " +
            "SET bytea_output='hex'; SET search_path=''; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", connection);
        await setup.ExecuteNonQueryAsync();
        return new NpgsqlSnapshot(nodeId, connection);
    }

    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        lock (Queries)
        {
            Queries.Add(sql);
        }

        await using var command = new NpgsqlCommand(sql, _connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
