using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Pgproxy.Core.Transport;

namespace Pgproxy.Core.Tests.Transport;

/// <summary>
/// Both socket transports (pgproxy's epoll loops, and .NET's socket engine, the fallback) against a real
/// loopback socket: the paths the integration tests rarely force (a flush that must wait for the peer to read,
/// a read woken by CancelPendingRead, end-of-stream, a message bigger than the buffer).
/// </summary>
public sealed class SocketTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task FlushAsync_LargerThanTheSocketBuffers_CompletesOnceThePeerReadsEverything(string kind)
    {
        var (transport, peer) = await ConnectAsync(kind);
        await using var _ = transport;
        using var __ = peer;
        var payload = new byte[32 * 1024 * 1024];
        Random.Shared.NextBytes(payload);

        transport.Output.Write(payload);
        var flush = transport.Output.FlushAsync().AsTask();
        await Task.Delay(100);
        Assert.False(flush.IsCompleted, "32 MiB cannot fit in the socket buffers: the flush must be waiting");
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None);
            Assert.NotEqual(0, n);
            total += n;
        }

        await flush.WaitAsync(Timeout);
        Assert.Equal(payload, received);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task ReadAsync_DataArrivesLater_CompletesWithIt(string kind)
    {
        var (transport, peer) = await ConnectAsync(kind);
        await using var _ = transport;
        using var __ = peer;

        var read = transport.Input.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(read.IsCompleted);
        await peer.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);

        var result = await read.WaitAsync(Timeout);
        Assert.Equal(new byte[] { 1, 2, 3 }, result.Buffer.ToArray());
        transport.Input.AdvanceTo(result.Buffer.End);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task CancelPendingRead_WakesAWaitingRead_AsCanceled(string kind)
    {
        var (transport, peer) = await ConnectAsync(kind);
        await using var _ = transport;
        using var __ = peer;

        var read = transport.Input.ReadAsync().AsTask();
        transport.Input.CancelPendingRead();

        var result = await read.WaitAsync(Timeout);
        Assert.True(result.IsCanceled);
        transport.Input.AdvanceTo(result.Buffer.Start);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task ReadAsync_PeerCloses_ReportsEndOfStream(string kind)
    {
        var (transport, peer) = await ConnectAsync(kind);
        await using var _ = transport;

        var read = transport.Input.ReadAsync().AsTask();
        peer.Dispose();

        var result = await read.WaitAsync(Timeout);
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task ReadAsync_MessageBiggerThanTheBuffer_IsKeptWhole(string kind)
    {
        var (transport, peer) = await ConnectAsync(kind);
        await using var _ = transport;
        using var __ = peer;
        var payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        await peer.SendAsync(payload, SocketFlags.None);

        // Examine everything each time without consuming, as a reader waiting for a whole message does.
        ReadResult result;
        while (true)
        {
            result = await transport.Input.ReadAsync().AsTask().WaitAsync(Timeout);
            if (result.Buffer.Length == payload.Length)
            {
                break;
            }

            transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        Assert.Equal(payload, result.Buffer.ToArray());
        transport.Input.AdvanceTo(result.Buffer.End);
    }

    internal static async Task<(IConnectionTransport Transport, Socket Peer)> ConnectAsync(string kind)
    {
        Assert.True(EpollLoop.IsSupported, "the epoll transport is expected on the CI machines (Linux x86-64)");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        return (kind == "epoll" ? EpollConnection.Create(accepted) : new SocketPipe(accepted), peer);
    }
}
