using Npgsql;
using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// What the time-default tests share: a table whose columns default to now(), current_date and friends, psql
/// through the proxy, and the check that every node holds main's values.
/// </summary>
public abstract class TimeDefaultTestBase(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected const string Columns = "id int primary key, v text, created timestamptz default now(), "
                                   + "d date default current_date, l timestamp(2) default localtimestamp(2), "
                                   + "later timestamptz default now() + interval '1 day'";

    /// <summary>Runs each statement as its own simple Query through psql, in one session; returns the output.</summary>
    protected async Task<string> PsqlAsync(params string[] statements)
    {
        var result = await PgTools.PsqlAsync(Proxy.Port,
            ["-v", "ON_ERROR_STOP=1", "-qAt", .. statements.SelectMany(s => new[] { "-c", s })]);
        return result.EnsureSuccess().StdOut;
    }

    /// <summary>
    /// Asserts every node holds the same rows, comparing the time columns' values directly (as UTC text, so the
    /// client's time zone plays no part), and that none of them was left empty. Returns node 0's rows.
    /// </summary>
    protected async Task<List<string>> AssertSameTimesAsync(string table, int expectedRows)
    {
        var perNode = new List<List<string>>();
        foreach (var node in Nodes)
        {
            await using var conn = new NpgsqlConnection(node.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "SELECT id || '|' || to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '|' || d || '|' "
                + $"|| l || '|' || to_char(later AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM {table} ORDER BY id",
                conn);
            var rows = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.False(reader.IsDBNull(0), "a time column is NULL");
                rows.Add(reader.GetString(0));
            }

            perNode.Add(rows);
        }

        Assert.Equal(expectedRows, perNode[0].Count);
        for (var i = 1; i < perNode.Count; i++)
        {
            Assert.Equal(perNode[0], perNode[i]);
        }

        return perNode[0];
    }
}
