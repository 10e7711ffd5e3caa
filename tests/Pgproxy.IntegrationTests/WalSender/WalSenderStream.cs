using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.TestDecoding;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.WalSender;

/// <summary>What the replication tests share: slot names, reading a stream, what main reports about itself.</summary>
internal static class WalSenderStream
{
    /// <summary>A slot name no other test uses (slots are cluster-wide).</summary>
    public static string SlotName() => "pgproxy_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Reads test_decoding's lines from <paramref name="slot"/> until <paramref name="count"/> of them mention
    /// <paramref name="table"/>; gives up after 30 s so a broken relay fails the test instead of hanging it.
    /// </summary>
    public static async Task<List<string>> ReadTestDecodingAsync(LogicalReplicationConnection replication,
        TestDecodingReplicationSlot slot, string table, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        await foreach (var message in replication.StartReplication(slot, timeout.Token))
        {
            if (message.Data.Contains(table, StringComparison.Ordinal))
            {
                lines.Add(message.Data);
            }

            replication.SetReplicationStatus(message.WalEnd);
            if (lines.Count == count)
            {
                break;
            }
        }

        return lines;
    }

    /// <summary>The node's system identifier, as IDENTIFY_SYSTEM reports it.</summary>
    public static async Task<string> SystemIdAsync(PostgresInstance node) =>
        await NodeSql.ScalarAsync<string>(node, "SELECT system_identifier::text FROM pg_control_system()");

    /// <summary>Backend types the node reports for connections of <paramref name="applicationName"/>.</summary>
    public static async Task<List<string>> BackendTypesAsync(PostgresInstance node, string applicationName)
    {
        await using var conn = new NpgsqlConnection(node.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT backend_type FROM pg_stat_activity WHERE application_name = $1", conn);
        cmd.Parameters.AddWithValue(applicationName);
        var types = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }
}
