using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Large objects created through pgproxy have the same OID and the same data on every node (issue 16 item 5,
/// issue 17 item 7): psql's <c>\lo_import</c> (libpq's fast path: lo_creat, lo_open, lowrite, lo_close), Npgsql's
/// NpgsqlLargeObjectManager (<c>SELECT * FROM lo_create($1)</c>), the SQL forms, several clients at once. Before,
/// each node picked its own OID and the next statement naming main's failed on node 1. Every node is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class LargeObjectOidTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    /// <summary>
    /// Nodes that ran the same statements from the start draw the same OIDs by coincidence: node 1 first draws
    /// one of its own (directly), so that only pgproxy can make them agree, as on nodes with any history.
    /// </summary>
    private Task DrawAnOidOnNodeOneAsync() => NodeSql.ExecuteAsync(Nodes[1], "SELECT lo_unlink(lo_creat(-1))");

    [PostgresFact]
    public async Task Psql_lo_import_gives_every_node_the_same_oid_and_data()
    {
        await DrawAnOidOnNodeOneAsync();
        var data = RandomNumberGenerator.GetBytes(300_000); // several lowrite calls
        var path = await WriteFileAsync(data);
        try
        {
            var result = await PgTools.PsqlAsync(Proxy.Port, "-c", $"\\lo_import {path}");
            Assert.True(result.ExitCode == 0, result.StdErr);
            var oid = uint.Parse(result.StdOut.Trim().Split(' ')[^1], CultureInfo.InvariantCulture); // lo_import 16xxx

            await AssertSameOnEveryNodeAsync([oid], Sha256(data));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [PostgresFact]
    public async Task Sql_forms_give_every_node_the_same_oid_and_data()
    {
        await DrawAnOidOnNodeOneAsync();
        var data = RandomNumberGenerator.GetBytes(5_000);
        var path = await WriteFileAsync(data);
        try
        {
            var result = await PgTools.PsqlAsync(Proxy.Port, "-At",
                "-c", "SELECT lo_creat(-1)",
                "-c", "SELECT lo_create(0) AS created",
                "-c", $"SELECT * FROM lo_import('{path}')",
                "-c", "SELECT lo_from_bytea(0, '\\xdeadbeef'::bytea)",
                "-c", "BEGIN; SELECT lo_creat(-1); COMMIT");
            Assert.True(result.ExitCode == 0, result.StdErr);
            var oids = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.All(char.IsAsciiDigit))
                .Select(l => uint.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(5, oids.Length);

            await AssertSameOnEveryNodeAsync(oids, expectedSha256: null);
            foreach (var node in Nodes)
            {
                Assert.Equal(Sha256(data),
                    await NodeSql.ScalarAsync<string>(node, $"SELECT encode(sha256(lo_get({oids[2]})), 'hex')"));
                Assert.Equal("deadbeef", await NodeSql.ScalarAsync<string>(node, $"SELECT encode(lo_get({oids[3]}), 'hex')"));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [PostgresFact]
    public async Task Npgsql_large_object_manager_gives_every_node_the_same_oid_and_data()
    {
        await DrawAnOidOnNodeOneAsync();
        var data = RandomNumberGenerator.GetBytes(100_000);
        await using var conn = await OpenAsync();
        var oid = await CreateWithManagerAsync(conn, data);

        await AssertSameOnEveryNodeAsync([oid], Sha256(data));
    }

    [PostgresFact]
    public async Task Npgsql_sql_forms_give_every_node_the_same_oid()
    {
        await DrawAnOidOnNodeOneAsync();
        await using var conn = await OpenAsync();
        var oids = new List<uint>();
        foreach (var sql in new[] { "SELECT lo_creat(-1)", "SELECT lo_create(0)", "SELECT lo_from_bytea(0, '\\x0102')" })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            oids.Add((uint)(await cmd.ExecuteScalarAsync())!);
        }

        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var cmd = new NpgsqlCommand("SELECT lo_creat(-1)", conn, tx);
            oids.Add((uint)(await cmd.ExecuteScalarAsync())!);
            await tx.CommitAsync();
        }

        await AssertSameOnEveryNodeAsync([.. oids], expectedSha256: null);
    }

    [PostgresFact]
    public async Task Concurrent_clients_give_every_node_the_same_oids_and_data()
    {
        await DrawAnOidOnNodeOneAsync();
        var payloads = Enumerable.Range(0, 12).Select(_ => RandomNumberGenerator.GetBytes(20_000)).ToArray();
        var paths = await Task.WhenAll(payloads[6..].Select(WriteFileAsync));
        try
        {
            var npgsql = payloads[..6].Select(async data =>
            {
                await using var conn = await OpenAsync();
                return (await CreateWithManagerAsync(conn, data), data);
            });
            var psql = paths.Select(async (path, i) =>
            {
                var result = await PgTools.PsqlAsync(Proxy.Port, "-c", $"\\lo_import {path}");
                Assert.True(result.ExitCode == 0, result.StdErr);
                return (uint.Parse(result.StdOut.Trim().Split(' ')[^1], CultureInfo.InvariantCulture), payloads[6 + i]);
            });
            var created = await Task.WhenAll(npgsql.Concat(psql));

            Assert.Equal(12, created.Select(c => c.Item1).Distinct().Count());
            foreach (var (oid, data) in created)
            {
                await AssertSameOnEveryNodeAsync([oid], Sha256(data));
            }
        }
        finally
        {
            foreach (var path in paths)
            {
                File.Delete(path);
            }
        }
    }

    [PostgresFact]
    public async Task Shapes_whose_oid_no_node_can_share_are_refused_and_change_nothing()
    {
        await DrawAnOidOnNodeOneAsync();
        var table = await CreateReplicatedTableAsync("lo_refused", "loid oid");
        var before = await CountsAsync();

        foreach (var sql in new[]
                 {
                     $"INSERT INTO {table} (loid) SELECT lo_creat(42)",
                     "SELECT lo_creat(-1) FROM generate_series(1, 2)",
                     "SELECT lo_creat(-1), lo_create(0)",
                 })
        {
            var result = await PgTools.PsqlAsync(Proxy.Port, "-c", sql);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("the OID would differ between nodes", result.StdErr, StringComparison.Ordinal);
        }

        // The extended protocol: two calls that let the server pick in one batch (one group).
        await using (var conn = await OpenAsync())
        {
            await using var batch = new NpgsqlBatch(conn)
            {
                BatchCommands = { new NpgsqlBatchCommand("SELECT lo_creat(-1)"), new NpgsqlBatchCommand("SELECT lo_create(0)") },
            };
            var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
            Assert.Equal("0A000", error.SqlState);
            Assert.Contains("the OID would differ between nodes", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(before, await CountsAsync());
        foreach (var node in Nodes)
        {
            Assert.Equal(0L, await NodeSql.CountAsync(node, table));
        }
    }

#pragma warning disable CS0618 // NpgsqlLargeObjectManager is obsolete, and still what applications use
    private static async Task<uint> CreateWithManagerAsync(NpgsqlConnection conn, byte[] data)
    {
        var manager = new NpgsqlLargeObjectManager(conn);
        await using var tx = await conn.BeginTransactionAsync();
        var oid = await manager.CreateAsync(0);
        await using (var stream = await manager.OpenReadWriteAsync(oid))
        {
            await stream.WriteAsync(data);
        }

        await tx.CommitAsync();
        return oid;
    }
#pragma warning restore CS0618

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static async Task<string> WriteFileAsync(byte[] data)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pgproxy-lo-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, data);
        if (!OperatingSystem.IsWindows())
        {
            // The server (another OS user) reads it for lo_import(path).
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
                                       | UnixFileMode.OtherRead);
        }
        return path;
    }

    /// <summary>Every node holds each OID (pg_largeobject_metadata) with the same pages (pg_largeobject).</summary>
    private async Task AssertSameOnEveryNodeAsync(uint[] oids, string? expectedSha256)
    {
        var list = string.Join(',', oids);
        var metadata = $"SELECT coalesce(string_agg(oid::text, ',' ORDER BY oid), '') FROM pg_largeobject_metadata " +
                       $"WHERE oid IN ({list})";
        var pages = "SELECT coalesce(md5(string_agg(loid || ':' || pageno || ':' || encode(data, 'hex'), ',' " +
                    $"ORDER BY loid, pageno)), '') FROM pg_largeobject WHERE loid IN ({list})";
        var expected = string.Join(',', oids.Order());
        var mainPages = await NodeSql.ScalarAsync<string>(Nodes[0], pages);
        foreach (var node in Nodes)
        {
            Assert.Equal(expected, await NodeSql.ScalarAsync<string>(node, metadata));
            Assert.Equal(mainPages, await NodeSql.ScalarAsync<string>(node, pages));
            if (expectedSha256 is not null)
            {
                Assert.Equal(expectedSha256, await NodeSql.ScalarAsync<string>(node, $"SELECT encode(sha256(lo_get({oids[0]})), 'hex')"));
            }
        }
    }

    private async Task<string> CountsAsync()
    {
        var counts = new List<long>();
        foreach (var node in Nodes)
        {
            counts.Add(await NodeSql.ScalarAsync<long>(node, "SELECT count(*) FROM pg_largeobject_metadata"));
        }

        return string.Join(',', counts);
    }
}
