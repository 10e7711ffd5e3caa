using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// The special inputs 'now', 'today', 'tomorrow' and 'yesterday' read the transaction's time when they become a
/// date/time value (DESIGN §4): each node would read its own clock, so the others must get main's value — in the
/// session's time zone, which is not UTC here, so that a rewrite that loses the zone shows. Every test reads the
/// nodes directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TimeLiteralTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string Columns = "id int primary key, tstz timestamptz, ts timestamp, t time, ttz timetz, "
                                   + "d date, ts3 timestamp(3), note text";

    /// <summary>A zone far from UTC, with a half-hour offset: local and UTC wall clocks never agree.</summary>
    private const string Zone = "Asia/Kolkata";

    /// <summary>Every spelling of a cast to a date/time type; {0} is the table.</summary>
    private static readonly string[] Writes =
    [
        "INSERT INTO {0} (id, tstz, ts, t, ttz, d, ts3, note) VALUES (1, 'now'::timestamptz, 'now'::timestamp, "
        + "'now'::time, 'now'::timetz, 'now'::date, 'now'::timestamp(3), 'now'::timestamp::text)",
        "INSERT INTO {0} (id, tstz, ts, t, ttz, d, ts3) VALUES (2, CAST('now' AS timestamptz), timestamp 'now', "
        + "CAST(' NOW ' AS time), time with time zone 'now', date 'now', timestamp(3) without time zone 'now')",
        "INSERT INTO {0} (id, tstz, ts, d, ts3) SELECT 3, timestamptz 'now', 'today'::timestamp, 'tomorrow'::date, "
        + "CAST('yesterday' AS timestamp(3))",
        "INSERT INTO {0} (id, tstz, ts, d) VALUES (4, 'today'::timestamptz, 'tomorrow'::timestamp, date 'yesterday')",
        "UPDATE {0} SET ts3 = 'now'::pg_catalog.timestamp WHERE id = 4",
        // Text stays text: only a cast makes 'now' a time.
        "INSERT INTO {0} (id, note) VALUES (5, 'now'), (6, 'today'::text)",
    ];

    [PostgresFact]
    public async Task Simple_query_writes_store_mains_value_for_now_and_the_day_words()
    {
        var table = await CreateReplicatedTableAsync("tlit", Columns);
        var statements = new List<string> { $"SET TimeZone = '{Zone}'" };
        statements.AddRange(Writes.Select(w => string.Format(System.Globalization.CultureInfo.InvariantCulture, w, table)));
        var result = await PgTools.PsqlAsync(Proxy.Port,
            ["-v", "ON_ERROR_STOP=1", "-qAt", .. statements.SelectMany(s => new[] { "-c", s })]);
        result.EnsureSuccess();
        await AssertMainsValuesAsync(table);
    }

    [PostgresFact]
    public async Task Extended_protocol_writes_store_mains_value_for_now_and_the_day_words()
    {
        var table = await CreateReplicatedTableAsync("tlitx", Columns);
        await using var conn = await OpenAsync();
        await using (var set = new NpgsqlCommand($"SET TimeZone = '{Zone}'", conn))
        {
            await set.ExecuteNonQueryAsync();
        }

        foreach (var write in Writes)
        {
            await using var cmd = new NpgsqlCommand(
                string.Format(System.Globalization.CultureInfo.InvariantCulture, write, table), conn);
            await cmd.ExecuteNonQueryAsync();
        }

        await AssertMainsValuesAsync(table);
    }

    [PostgresFact]
    public async Task Untyped_now_and_day_words_in_values_for_time_columns_store_mains_value()
    {
        var table = await CreateReplicatedTableAsync("tlitv", Columns);
        const string Now = "INSERT INTO {0} (id, tstz, ts, t, ttz, d, ts3, note) VALUES "
                           + "({1}, 'now', 'now', 'now', 'now', 'now', 'now', 'now')";
        const string Days = "INSERT INTO {0} (id, tstz, ts, d, ts3, note) VALUES ({1}, 'today', 'tomorrow', 'yesterday', "
                            + "'now', 'today')";
        var result = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", $"SET TimeZone = '{Zone}'",
            "-c", Format(Now, table, 1), "-c", Format(Days, table, 2));
        result.EnsureSuccess();
        await using (var conn = await OpenAsync())
        {
            await using var set = new NpgsqlCommand($"SET TimeZone = '{Zone}'", conn);
            await set.ExecuteNonQueryAsync();
            await using var now = new NpgsqlCommand(Format(Now, table, 3), conn);
            await now.ExecuteNonQueryAsync();
            await using var days = new NpgsqlCommand(Format(Days, table, 4), conn);
            await days.ExecuteNonQueryAsync();
        }

        Assert.Equal(4, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            Assert.Equal(4L, await NodeSql.ScalarAsync<long>(node,
                "SELECT count(*) FILTER (WHERE id IN (1, 3) AND ts = l AND t = l::time AND ttz::time = l::time "
                + "AND extract(timezone FROM ttz) = 19800 AND d = l::date AND ts3 = l::timestamp(3) AND note = 'now') "
                + "+ count(*) FILTER (WHERE id IN (2, 4) AND l::time = '00:00' AND ts = l + interval '1 day' "
                + "AND d = l::date - 1 AND ts3 > l AND note = 'today') "
                + $"FROM (SELECT *, tstz AT TIME ZONE '{Zone}' AS l FROM {table}) x"));
        }
    }

    private static string Format(string sql, string table, int id) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table, id);

    /// <summary>
    /// The nodes hold the same rows, and those are main's own evaluation (node 0 is main and ran the original
    /// text): the local columns agree with the timestamptz in the session's zone, which a UTC wall clock would not.
    /// </summary>
    private async Task AssertMainsValuesAsync(string table)
    {
        Assert.Equal(6, await AssertNodesIdenticalAsync(table, "id"));
        foreach (var node in Nodes)
        {
            await using var conn = new NpgsqlConnection(node.ConnectionString);
            await conn.OpenAsync();
            // Local values read through AT TIME ZONE: the reading session's own zone plays no part.
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE ts = l AND t = l::time AND ttz::time = l::time "
                + "AND extract(timezone FROM ttz) = 19800 AND d = l::date AND ts3 = l::timestamp(3) "
                + "AND (id = 2 OR note = l::text)), "
                + "count(*) FILTER (WHERE id = 3 AND ts = date_trunc('day', l) AND d = ts::date + 1 "
                + "AND ts3 = ts - interval '1 day'), "
                + "count(*) FILTER (WHERE id = 4 AND l::time = '00:00' AND ts = l + interval '1 day' AND d = l::date - 1 AND ts3 > l), "
                + "count(DISTINCT tstz) FILTER (WHERE id < 4), "
                + "string_agg(note, ',' ORDER BY id) FILTER (WHERE id > 4) "
                + $"FROM (SELECT *, tstz AT TIME ZONE '{Zone}' AS l FROM {table}) x", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(2L, reader.GetInt64(0));
            Assert.Equal(1L, reader.GetInt64(1));
            Assert.Equal(1L, reader.GetInt64(2));
            // psql and Npgsql run each write in a transaction of its own: three different times.
            Assert.Equal(3L, reader.GetInt64(3));
            Assert.Equal("now,today", reader.GetString(4));
        }
    }
}
