using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class TransactionTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task Commit_AfterInsert_RowVisibleOnNodeOnlyAfterCommit()
    {
        var table = await CreateTableOnNodeAsync("tx_commit", "id int PRIMARY KEY");
        await using var conn = await OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1), (2)", conn, tx))
        {
            Assert.Equal(2, await insert.ExecuteNonQueryAsync());
        }

        Assert.Equal(0L, await NodeSql.CountAsync(Node, table));
        await tx.CommitAsync();

        Assert.Equal(2L, await NodeSql.CountAsync(Node, table));
    }

    [PostgresFact]
    public async Task Rollback_AfterInsert_NothingOnNode()
    {
        var table = await CreateTableOnNodeAsync("tx_rollback", "id int PRIMARY KEY");
        await using var conn = await OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx);
            await insert.ExecuteNonQueryAsync();
            await tx.RollbackAsync();
        }

        Assert.Equal(0L, await NodeSql.CountAsync(Node, table));
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn);
        Assert.Equal(0L, await count.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task UniqueViolation_InsideTransaction_Reports23505ThenRollbackAndConnectionStillWork()
    {
        var table = await CreateTableOnNodeAsync("tx_error", "id int PRIMARY KEY");
        await using var conn = await OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES (1)", conn, tx))
        {
            await insert.ExecuteNonQueryAsync();
            var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        }

        await using (var inFailedTx = new NpgsqlCommand("SELECT 1", conn, tx))
        {
            var aborted = await Assert.ThrowsAsync<PostgresException>(() => inFailedTx.ExecuteScalarAsync());
            Assert.Equal(PostgresErrorCodes.InFailedSqlTransaction, aborted.SqlState);
        }

        await tx.RollbackAsync();
        await tx.DisposeAsync();

        await using var after = new NpgsqlCommand($"INSERT INTO {table} VALUES (1) RETURNING id", conn);
        Assert.Equal(1, await after.ExecuteScalarAsync());
        Assert.Equal(1L, await NodeSql.CountAsync(Node, table));
    }
}
