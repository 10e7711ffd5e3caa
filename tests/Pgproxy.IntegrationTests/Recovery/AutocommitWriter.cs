using Npgsql;
using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Recovery;

/// <summary>
/// A client writing through a recovery: autocommit statements until stopped, in one session until pgproxy ends it
/// (57P01: the node it lacks came up; the statement rolled back), then in a new one, as an application reconnects
/// after a failback. Counts the statements that committed.
/// </summary>
internal static class AutocommitWriter
{
    /// <param name="proxy">pgproxy in front of the nodes.</param>
    /// <param name="statement">The SQL of the n-th statement tried (from 1; a rolled-back one is not tried again).</param>
    /// <param name="stop">Ends the loop after the statement under way.</param>
    public static async Task<long> RunUntilAsync(ProxyHost proxy, Func<long, string> statement, CancellationToken stop)
    {
        long committed = 0, tried = 0;
        NpgsqlConnection? conn = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                conn ??= await proxy.OpenAsync();
                try
                {
                    await using var cmd = new NpgsqlCommand(statement(++tried), conn);
                    await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                    committed++;
                }
                catch (PostgresException e) when (e.SqlState == "57P01")
                {
                    await conn.DisposeAsync();
                    conn = null;
                }
            }
        }
        finally
        {
            if (conn is not null)
            {
                await conn.DisposeAsync();
            }
        }

        return committed;
    }
}
