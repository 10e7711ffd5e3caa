using Npgsql;
using System.Text;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// Query strings that begin or end a transaction (issue 13 item 1). Run whole on main, such a string committed
/// before the other nodes took its locks, and non-commuting updates from concurrent clients diverged. Run in
/// steps, the nodes stay identical, and the client still sees exactly what PostgreSQL sends for the string.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class QueryStringTransactionTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData("begin; update {0} set n = (n * 2) % 1000003 where id = 1; commit",
        "begin; update {0} set n = n + 1 where id = 1; commit")]
    [InlineData("update {0} set n = (n * 2) % 1000003 where id = 1; commit",
        "begin; update {0} set n = n + 1 where id = 1; commit; update {0} set n = n + 3 where id = 1")]
    [InlineData("begin; update {0} set n = (n * 3) % 1000003 where id = 1; savepoint s; update {0} set n = n + 5 where id = 1; rollback to s; commit",
        "update {0} set n = n + 1 where id = 1; begin; update {0} set n = n * 7 % 1000003 where id = 1; commit")]
    public async Task Concurrent_non_commuting_transactions_in_one_string_leave_identical_nodes(string a, string b)
    {
        var table = await CreateReplicatedTableAsync("race", "id int primary key, n bigint not null");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 1)");

        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, client % 2 == 0 ? a : b, table);
            for (var i = 0; i < 60; i++)
            {
                await raw.SendAsync(RawPgClient.Query(sql));
                var answer = await raw.ReadUntilAsync('Z');
                Assert.DoesNotContain(answer, m => m.Type == 'E');
                Assert.Equal((byte)'I', answer[^1].Body[0]);
            }
        }).ToArray();
        await Task.WhenAll(clients);

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    /// <summary>
    /// The same race with the transaction in one extended-protocol group (Parse/Bind/Execute of BEGIN, UPDATE,
    /// COMMIT, then Sync) and in an Npgsql batch, which sends exactly that.
    /// </summary>
    [PostgresTheory]
    [InlineData(true, "begin", "update {0} set n = (n * 2) % 1000003 where id = 1", "commit")]
    [InlineData(true, "update {0} set n = (n * 2) % 1000003 where id = 1", "commit")]
    [InlineData(false, "begin", "update {0} set n = (n * 2) % 1000003 where id = 1", "commit")]
    [InlineData(false, "begin", "update {0} set n = (n * 2) % 1000003 where id = 1", "commit",
        "update {0} set n = n + 7 where id = 1")]
    public async Task Concurrent_transactions_in_one_extended_group_leave_identical_nodes(bool npgsql,
        params string[] statements)
    {
        var table = await CreateReplicatedTableAsync("race", "id int primary key, n bigint not null");
        await ExecuteOnProxyAsync($"INSERT INTO {table} VALUES (1, 1)");
        string[] other = ["begin", $"update {table} set n = n + 1 where id = 1", "commit"];
        var mine = statements.Select(s => string.Format(System.Globalization.CultureInfo.InvariantCulture, s, table))
            .ToArray();

        var clients = Enumerable.Range(0, 8).Select(async client =>
        {
            var sql = client % 2 == 0 ? mine : other;
            if (npgsql)
            {
                await using var conn = await OpenAsync();
                for (var i = 0; i < 60; i++)
                {
                    await using var batch = new NpgsqlBatch(conn);
                    foreach (var statement in sql)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
                    }

                    await batch.ExecuteNonQueryAsync();
                }

                return;
            }

            await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
            await raw.StartupAsync();
            for (var i = 0; i < 60; i++)
            {
                await raw.SendAsync([.. sql.SelectMany(s => RawPgClient.Parse(s).Concat(RawPgClient.Bind())
                    .Concat(RawPgClient.Execute())), .. RawPgClient.Sync()]);
                var answer = await raw.ReadUntilAsync('Z');
                Assert.DoesNotContain(answer, m => m.Type == 'E');
                Assert.Equal((byte)'I', answer[^1].Body[0]);
            }
        }).ToArray();
        await Task.WhenAll(clients);

        Assert.Equal(1, await AssertNodesIdenticalAsync(table, "id"));
    }

    /// <summary>
    /// The same string through pgproxy and straight to a node: the same messages (tags, rows, warnings, errors with
    /// their position, one ReadyForQuery with the same status), and the same rows left behind.
    /// </summary>
    [PostgresTheory]
    [InlineData("insert into {0} values (1); commit")]
    [InlineData("insert into {0} values (1); rollback")]
    [InlineData("insert into {0} values (1); begin; insert into {0} values (2); commit")]
    [InlineData("begin; insert into {0} values (1); commit; insert into {0} values (2)")]
    [InlineData("begin; insert into {0} values (1); commit; insert into {0} values (2); select 1/0")]
    [InlineData("begin; insert into {0} values (1); select 1/0; commit")]
    [InlineData("insert into {0} values (1); savepoint a")]
    [InlineData("insert into {0} values (1); commit and chain")]
    [InlineData("begin; insert into {0} values (1); commit;\n insert into {0} values (1);  select 'é' || nosuch")]
    [InlineData("begin; insert into {0} values (1); savepoint s; insert into {0} values (1); rollback to s; insert into {0} values (2); release s; commit")]
    [InlineData("begin; insert into {0} values (1); commit; begin; insert into {0} values (1); commit")]
    [InlineData("select count(*) from {0}; commit; select count(*) from {0}")]
    [InlineData("begin; commit; commit")]
    [InlineData("rollback; insert into {0} values (3); end")]
    public async Task Client_sees_what_postgresql_sends_and_every_node_holds_the_same(string template)
    {
        var proxied = await CreateReplicatedTableAsync("qs", "a int primary key");
        var direct = await CreateTableOnNodeAsync("qs", "a int primary key");

        var throughProxy = await ExchangeAsync(Proxy.Port, template, proxied);
        var straight = await ExchangeAsync(Node.Port, template, direct);

        Assert.Equal(straight, throughProxy);
        await AssertNodesIdenticalAsync(proxied, "a");
        Assert.Equal(await RowsAsync(direct), await RowsAsync(proxied));
    }

    /// <summary>The same for an extended-protocol group of the statements, ended by one Sync.</summary>
    [PostgresTheory]
    [InlineData("begin|insert into {0} values (1)|commit|insert into {0} values (2)")]
    [InlineData("insert into {0} values (1)|commit")]
    [InlineData("insert into {0} values (1)|commit|insert into {0} values (2)")]
    [InlineData("begin|insert into {0} values (1)|commit|select 1/0|insert into {0} values (3)")]
    [InlineData("begin|insert into {0} values (1)|insert into {0} values (1)|commit|insert into {0} values (2)")]
    [InlineData("begin|insert into {0} values (1)|commit|begin|insert into {0} values (2)|rollback")]
    [InlineData("select 1|commit|commit")]
    public async Task Extended_group_client_sees_what_postgresql_sends_and_every_node_holds_the_same(string template)
    {
        var proxied = await CreateReplicatedTableAsync("qs", "a int primary key");
        var direct = await CreateTableOnNodeAsync("qs", "a int primary key");

        var throughProxy = await ExchangeGroupAsync(Proxy.Port, template, proxied);
        var straight = await ExchangeGroupAsync(Node.Port, template, direct);

        Assert.Equal(straight, throughProxy);
        await AssertNodesIdenticalAsync(proxied, "a");
        Assert.Equal(await RowsAsync(direct), await RowsAsync(proxied));
    }

    private static async Task<List<string>> ExchangeGroupAsync(int port, string template, string table)
    {
        await using var raw = await RawPgClient.ConnectAsync(port);
        await raw.StartupAsync();
        var statements = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table).Split('|');
        await raw.SendAsync([.. statements.SelectMany(s => RawPgClient.Parse(s).Concat(RawPgClient.Bind())
            .Concat(RawPgClient.Describe()).Concat(RawPgClient.Execute())), .. RawPgClient.Sync()]);
        var answer = await raw.ReadUntilAsync('Z');
        return [.. answer.Select(m => Describe(m, table))];
    }

    private static async Task<List<string>> ExchangeAsync(int port, string template, string table)
    {
        await using var raw = await RawPgClient.ConnectAsync(port);
        await raw.StartupAsync();
        await raw.SendAsync(RawPgClient.Query(string.Format(System.Globalization.CultureInfo.InvariantCulture,
            template, table)));
        var answer = await raw.ReadUntilAsync('Z');
        return [.. answer.Select(m => Describe(m, table))];
    }

    /// <summary>A message as the client reads it, the table's name made neutral.</summary>
    private static string Describe((char Type, byte[] Body) message, string table)
    {
        var text = message.Type switch
        {
            'E' or 'N' => string.Join("|", "SVCMDHP".Select(f => f + "=" + RawPgClient.ErrorField(message.Body, f))),
            'C' => Encoding.UTF8.GetString(message.Body).TrimEnd('\0'),
            _ => Convert.ToHexString(message.Body),
        };
        return message.Type + " " + text.Replace(table, "T", StringComparison.Ordinal);
    }

    private async Task<string> RowsAsync(string table)
    {
        await using var conn = new NpgsqlConnection(Node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT coalesce(string_agg(a::text, ',' ORDER BY a), '') FROM {table}", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
