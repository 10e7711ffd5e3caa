using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Pgproxy.Core.Config;
using Pgproxy.Core.Sessions;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Writing;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>
/// CancelRequest routing: the client names a session by the key pgproxy gave it (main's backend pid, pgproxy's
/// secret), and pgproxy sends the backend's own key to the node. A listener stands in for the node's postmaster.
/// </summary>
public sealed class SessionCancelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CancelRequest_WithTheGivenKey_ReachesThatSessionsBackendWithItsRealKey()
    {
        using var postmaster = new TcpListener(IPAddress.Loopback, 0);
        postmaster.Start();
        await using var harness = NewHarness(postmaster);
        var (first, firstStartup) = await harness.ConnectAndStartAsync();
        await using var _ = first;
        var (second, secondStartup) = await harness.ConnectAndStartAsync();
        await using var __ = second;
        var secondBackend = harness.Connector.Backends[1];
        var secondKey = secondStartup.Single(m => m.Type == 'K');

        var sending = SendCancelAsync(harness, secondKey.Int32At(0), secondKey.Int32At(4));

        var (pid, secret) = await ReceiveCancelAsync(postmaster);
        await sending;
        Assert.Equal(secondBackend.ProcessId, pid);
        Assert.Equal(secondBackend.SecretKey, secret);
        Assert.NotEqual(firstStartup.Single(m => m.Type == 'K').Int32At(0), pid);
    }

    [Fact]
    public async Task CancelRequest_WithAWrongSecret_IsNotForwarded()
    {
        using var postmaster = new TcpListener(IPAddress.Loopback, 0);
        postmaster.Start();
        await using var harness = NewHarness(postmaster);
        var (client, startup) = await harness.ConnectAndStartAsync();
        await using var _ = client;
        var key = startup.Single(m => m.Type == 'K');

        // The wrong key first, then the right one: the first cancel the node sees must be the right one, so the
        // wrong one was dropped (its session has ended by then, so it cannot arrive late).
        await SendCancelAsync(harness, key.Int32At(0), key.Int32At(4) ^ 1);
        var sending = SendCancelAsync(harness, key.Int32At(0), key.Int32At(4));

        var (pid, secret) = await ReceiveCancelAsync(postmaster);
        await sending;
        Assert.Equal(harness.Connector.Single.ProcessId, pid);
        Assert.Equal(harness.Connector.Single.SecretKey, secret);
    }

    [Fact]
    public async Task Registry_TwoSessionsGivenTheSamePid_AreToldApartBySecret()
    {
        // Two nodes' backends can share a pid number, and a session keeps its pid after a failover.
        await using var harness = new ProxyHarness();
        var (a, _) = await harness.ConnectAndStartAsync();
        await using var _a = a;
        var (b, _) = await harness.ConnectAndStartAsync();
        await using var _b = b;
        var sessions = harness.Runtime.Sessions.Sessions.ToArray();
        var registry = new SessionRegistry();

        var secretA = registry.Register(sessions[0], 4242);
        var secretB = registry.Register(sessions[1], 4242);

        Assert.Same(sessions[0], registry.FindForCancel(4242, secretA));
        Assert.Same(sessions[1], registry.FindForCancel(4242, secretB));
        Assert.Null(registry.FindForCancel(4243, secretA));
        registry.Unregister(4242, secretA);
        Assert.Null(registry.FindForCancel(4242, secretA));
        Assert.Same(sessions[1], registry.FindForCancel(4242, secretB));
    }

    private static ProxyHarness NewHarness(TcpListener postmaster) => new(configure: o => o with
    {
        Backends = [new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = ((IPEndPoint)postmaster.LocalEndpoint).Port }],
    });

    /// <summary>Sends a CancelRequest on a connection of its own and waits until pgproxy has handled it.</summary>
    private static async Task SendCancelAsync(ProxyHarness harness, int processId, int secretKey)
    {
        await using var canceller = harness.Connect();
        var request = new ArrayBufferWriter<byte>();
        FrontendMessageWriter.WriteCancelRequest(request, processId, secretKey);
        await canceller.SendAsync(request.WrittenMemory);
        await canceller.WaitForSessionEndAsync();
    }

    /// <summary>Accepts one cancel connection, reads its request and closes it, as PostgreSQL does.</summary>
    private static async Task<(int ProcessId, int SecretKey)> ReceiveCancelAsync(TcpListener postmaster)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var socket = await postmaster.AcceptSocketAsync(timeout.Token);
        var request = new byte[16];
        var read = 0;
        while (read < request.Length)
        {
            var n = await socket.ReceiveAsync(request.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(16, BinaryPrimitives.ReadInt32BigEndian(request));
        Assert.Equal(StartupPacket.CancelRequestCode, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(4)));
        return (BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8)), BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(12)));
    }
}
