using Npgsql;
using Pgproxy.Core.Recovery;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// The recovery's cleanup drops its publication on main while clients write there. PostgreSQL 15 fails an UPDATE
/// that rebuilds its table's publication list as that drop commits (XX000 "cache lookup failed for publication",
/// seen once in CI as RecoveryUnderLoadTests' failure); the cleanup must not.
/// </summary>
[Collection(RecoverySuite.Name)]
public sealed class PublicationDropRaceTests(TwoNodes cluster) : RecoveryTestBase(cluster)
{
    private const int Writers = 8;
    private const int Cycles = 300;

    /// <summary>
    /// Writers UPDATE on main while the publication is created and at once dropped, over and over: the drop commits
    /// while the writers build their table's publication list anew after the create (the same window a reconnected
    /// client's first UPDATE opens during a recovery's cleanup, made frequent). Without the drop holding the tables,
    /// a few hundred cycles fail a writer with XX000.
    /// </summary>
    [PostgresFact]
    public async Task A_publication_dropped_under_writers_fails_none_of_their_updates()
    {
        var database = "pubdrop_" + Guid.NewGuid().ToString("N")[..8];
        var main = Cluster.Nodes[0];
        await NodeSql.ExecuteAsync(main, $"CREATE DATABASE {database}");
        try
        {
            await using var conn = new NpgsqlConnection(main.ConnectionStringFor(database));
            await conn.OpenAsync();
            await ExecuteAsync(conn, "CREATE TABLE w (id int PRIMARY KEY, n bigint NOT NULL); " +
                                     "INSERT INTO w SELECT g, 0 FROM generate_series(1, 1000) g");
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers)
                .Select(w => Task.Run(() => WriteUntilAsync(main.ConnectionStringFor(database), w, stop.Token)))
                .ToList();
            var name = RecoveryNames.Publication(1);
            for (var cycle = 0; cycle < Cycles && !writers.Any(w => w.IsCompleted); cycle++)
            {
                await ExecuteAsync(conn, $"CREATE PUBLICATION {name} FOR ALL TABLES");
                await PublicationDrop.DropAsync(conn, name, CancellationToken.None);
            }

            await stop.CancelAsync();
            var updates = await Task.WhenAll(writers); // a writer's XX000 is thrown here
            Assert.All(updates, u => Assert.True(u > 0));
            Assert.Equal(0L, await ScalarAsync(conn, "SELECT count(*) FROM pg_publication"));
            Assert.Equal(updates.Sum(), await ScalarAsync(conn, "SELECT sum(n)::bigint FROM w"));
        }
        finally
        {
            await NodeSql.ExecuteAsync(main, $"DROP DATABASE {database} WITH (FORCE)");
        }
    }

    /// <summary>One writer's autocommit UPDATEs on a connection of its own until stopped; returns how many ran.</summary>
    private static async Task<long> WriteUntilAsync(string connectionString, int writer, CancellationToken stop)
    {
        var random = new Random(writer);
        long updates = 0;
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            await using var update = new NpgsqlCommand("UPDATE w SET n = n + 1 WHERE id = $1", conn);
            update.Parameters.Add(new NpgsqlParameter { Value = random.Next(1, 1001) });
            await update.ExecuteNonQueryAsync(CancellationToken.None);
            updates++;
        }

        return updates;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
