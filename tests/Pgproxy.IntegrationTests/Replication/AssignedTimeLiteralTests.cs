using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// An untyped 'now' (or 'today'…) assigned to a date/time column by UPDATE SET or ON CONFLICT DO UPDATE SET reads
/// the transaction's time as PostgreSQL converts it to the column's type (issue 16 item 3): every node must store
/// main's value, in the session's time zone (not UTC here). Read on each node directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class AssignedTimeLiteralTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string Columns = "id int primary key, tstz timestamptz, ts timestamp, t time, ttz timetz, "
                                   + "d date, ts3 timestamp(3), note text";

    private const string Zone = "Asia/Kolkata";

    /// <summary>{0} the table, {1} the row: every column but tstz from an untyped word, tstz the reference.</summary>
    private static readonly string[] Writes =
    [
        "UPDATE {0} SET tstz = 'now', ts = 'now', t = 'now', ttz = 'now', d = 'today', ts3 = 'now', note = 'now' "
        + "WHERE id = {1}",
        "UPDATE {0} x SET (tstz, ts, d) = ('now', ' NOW ', 'tomorrow'), t = 'now', ttz = 'now', ts3 = 'now', "
        + "note = 'now' WHERE x.id = {1}",
        "INSERT INTO {0} (id) VALUES ({1}) ON CONFLICT (id) DO UPDATE SET tstz = 'now', ts = 'now', t = 'now', "
        + "ttz = 'now', d = 'yesterday', ts3 = 'now', note = 'now'",
    ];

    [PostgresFact]
    public async Task Untyped_now_assigned_to_time_columns_stores_mains_value_in_both_protocols()
    {
        var table = await CreateReplicatedTableAsync("tlitu", Columns);
        await ExecuteOnProxyAsync($"INSERT INTO {table} (id) SELECT generate_series(1, 6)");
        var simple = new List<string> { "-c", $"SET TimeZone = '{Zone}'" };
        for (var i = 0; i < Writes.Length; i++)
        {
            simple.AddRange(["-c", Format(Writes[i], table, i + 1)]);
        }

        var result = await PgTools.PsqlAsync(Proxy.Port, ["-v", "ON_ERROR_STOP=1", "-qAt", .. simple]);
        result.EnsureSuccess();
        await using (var conn = await OpenAsync())
        {
            await using var set = new NpgsqlCommand($"SET TimeZone = '{Zone}'", conn);
            await set.ExecuteNonQueryAsync();
            for (var i = 0; i < Writes.Length; i++)
            {
                await using var cmd = new NpgsqlCommand(Format(Writes[i], table, i + 4), conn);
                await cmd.ExecuteNonQueryAsync();
            }
        }

        Assert.Equal(6, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            // Each row is main's own evaluation: the local columns agree with tstz in the session's zone.
            Assert.Equal("1,2,3,4,5,6", await NodeSql.ScalarAsync<string>(node,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT *, tstz AT TIME ZONE '" + Zone + "' AS l "
                + $"FROM {table}) x WHERE ts = l AND t = l::time AND ttz::time = l::time "
                + "AND extract(timezone FROM ttz) = 19800 AND ts3 = l::timestamp(3) AND note = 'now' "
                + "AND d = l::date + CASE id % 3 WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE -1 END"));
        }
    }

    /// <summary>SET col = DEFAULT evaluates the default: a time-based one gets main's value, a volatile one is refused.</summary>
    [PostgresFact]
    public async Task An_update_setting_a_column_to_its_time_default_stores_mains_value()
    {
        var table = await CreateReplicatedTableAsync("tdefu", "id int primary key, created timestamptz DEFAULT now(), "
                                                              + "r float8 DEFAULT random()");
        await ExecuteOnProxyAsync($"INSERT INTO {table} (id, created, r) VALUES (1, '2000-01-01', 0), (2, '2000-01-01', 0)");

        var result = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c",
            $"UPDATE {table} SET created = DEFAULT WHERE id = 1");
        result.EnsureSuccess();
        await using (var conn = await OpenAsync())
        {
            await using var cmd = new NpgsqlCommand($"UPDATE {table} SET (id, created) = (2, DEFAULT) WHERE id = 2", conn);
            await cmd.ExecuteNonQueryAsync();
            await using var random = new NpgsqlCommand($"UPDATE {table} SET r = DEFAULT", conn);
            Assert.Equal("0A000", (await Assert.ThrowsAsync<PostgresException>(() => random.ExecuteNonQueryAsync())).SqlState);
        }

        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal(2L, await NodeSql.ScalarAsync<long>(node,
                $"SELECT count(*) FROM {table} WHERE created > '2020-01-01' AND r = 0"));
        }
    }

    private static string Format(string sql, string table, int id) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table, id);
}
