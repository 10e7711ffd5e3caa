using System.Buffers.Binary;
using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Limits;

/// <summary>Malformed input ends that one session with 08P01, as PostgreSQL does, and nobody else's.</summary>
[Collection(LimitsSuite.Name)]
public sealed class ProtocolViolationTests(OneNode cluster) : ProxyTestBase(cluster)
{
    public static TheoryData<string, byte[]> BadFrames => new()
    {
        { "unknown type byte", [(byte)'x', 0, 0, 0, 4] },
        { "length 3", [(byte)'Q', 0, 0, 0, 3] },
    };

    [PostgresTheory]
    [MemberData(nameof(BadFrames))]
    public async Task BadFrame_AfterStartup_ErrorResponse08P01ThenCloseOthersUnaffected(string what, byte[] frame)
    {
        await using var bystander = await OpenAsync();
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        await raw.StartupAsync();

        await raw.SendAsync(frame);
        var messages = await raw.ReadToEndAsync();

        var error = Assert.Single(messages);
        Assert.Equal('E', error.Type);
        Assert.Equal("08P01", RawPgClient.ErrorField(error.Body, 'C'));
        Assert.Equal("FATAL", RawPgClient.ErrorField(error.Body, 'S'));
        await using var cmd = new NpgsqlCommand("SELECT 'still fine'", bystander);
        Assert.True((string?)await cmd.ExecuteScalarAsync() == "still fine", what);
    }

    [PostgresFact]
    public async Task StartupPacket_Length10001_Refused08P01OrClosedLikePostgres()
    {
        await using var bystander = await OpenAsync();
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        var packet = new byte[10_001];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), 196608);

        await raw.SendAsync(packet);
        var messages = await raw.ReadToEndAsync();

        // PostgreSQL itself only logs "invalid length of startup packet" and closes; pgproxy may say why first.
        Assert.True(messages.Count <= 1, $"{messages.Count} messages");
        if (messages.Count == 1)
        {
            Assert.Equal('E', messages[0].Type);
            Assert.Equal("08P01", RawPgClient.ErrorField(messages[0].Body, 'C'));
        }

        await using var cmd = new NpgsqlCommand("SELECT 1", bystander);
        Assert.Equal(1, await cmd.ExecuteScalarAsync());
    }

    [PostgresFact]
    public async Task StartupPacket_Length10000_Accepted()
    {
        await using var raw = await RawPgClient.ConnectAsync(Proxy.Port);
        var startup = RawPgClient.StartupMessage();
        // Pad with a harmless option value so the packet is exactly the largest PostgreSQL accepts.
        var padding = 10_000 - startup.Length - "application_name\0\0".Length;
        var body = new List<byte>(startup[4..^1]);
        body.AddRange("application_name\0"u8.ToArray());
        body.AddRange(Enumerable.Repeat((byte)'a', padding));
        body.AddRange([0, 0]);
        var packet = new byte[4 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        body.CopyTo(packet, 4);
        Assert.Equal(10_000, packet.Length);

        await raw.SendAsync(packet);
        var messages = await raw.ReadUntilReadyAsync();

        Assert.Equal('Z', messages[^1].Type);
    }
}
