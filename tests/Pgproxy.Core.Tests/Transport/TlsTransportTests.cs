using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Transport;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.Core.Tests.Transport;

/// <summary>
/// Both socket transports give their socket up for TLS without losing a byte, and <see cref="TlsTransport"/>
/// carries a session's traffic both ways over a real loopback socket.
/// </summary>
public sealed class TlsTransportTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = TestPki.Create("transport");

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task DetachSocket_BytesThePeerSentAfterTheLastRead_StayInTheSocket(string kind)
    {
        var (transport, peer) = await SocketTransportTests.ConnectAsync(kind);
        using var _ = peer;
        await peer.SendAsync("a"u8.ToArray(), SocketFlags.None);
        var first = await transport.Input.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("a"u8.ToArray(), first.Buffer.ToArray());
        transport.Input.AdvanceTo(first.Buffer.End);

        await peer.SendAsync("bc"u8.ToArray(), SocketFlags.None);
        await Task.Delay(100); // let the epoll loop see the socket turn readable
        using var socket = ((ISocketTransport)transport).DetachSocket();
        await transport.DisposeAsync(); // must leave the detached socket open

        var rest = new byte[2];
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        Assert.Equal(2, socket.Receive(rest));
        Assert.Equal("bc"u8.ToArray(), rest);
        Assert.True(socket.Blocking);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task AcceptAsync_OnADetachedSocket_CarriesBothDirections(string kind)
    {
        var issued = _pki.IssueServer();
        var (transport, peer) = await SocketTransportTests.ConnectAsync(kind);
        var socket = ((ISocketTransport)transport).DetachSocket();
        await transport.DisposeAsync();
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.KeyPem);
        await using var client = new SslStream(new NetworkStream(peer, ownsSocket: true), false,
            (_, presented, _, _) => presented?.GetCertHashString() == issued.Thumbprint);

        var accept = TlsTransport.AcceptAsync(socket, new SslServerAuthenticationOptions { ServerCertificate = certificate },
            CancellationToken.None);
        await client.AuthenticateAsClientAsync("127.0.0.1").WaitAsync(Timeout);
        await using var tls = await accept.WaitAsync(Timeout);

        await client.WriteAsync("hello"u8.ToArray());
        var read = await tls.Input.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("hello"u8.ToArray(), read.Buffer.ToArray());
        tls.Input.AdvanceTo(read.Buffer.End);

        // Bigger than a TLS record and than the writer's buffer: several records, one flush.
        var payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        tls.Output.Write(payload);
        var flush = tls.Output.FlushAsync().AsTask();
        var received = new byte[payload.Length];
        await client.ReadExactlyAsync(received).AsTask().WaitAsync(Timeout);
        await flush.WaitAsync(Timeout);
        Assert.Equal(payload, received);
        Assert.True(tls.LooksIdleAndAlive());
    }

    [Fact]
    public async Task Abort_WakesAPendingRead()
    {
        var issued = _pki.IssueServer();
        var (transport, peer) = await SocketTransportTests.ConnectAsync("epoll");
        var socket = ((ISocketTransport)transport).DetachSocket();
        await transport.DisposeAsync();
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.KeyPem);
        await using var client = new SslStream(new NetworkStream(peer, ownsSocket: true), false,
            (_, presented, _, _) => presented?.GetCertHashString() == issued.Thumbprint);
        var accept = TlsTransport.AcceptAsync(socket, new SslServerAuthenticationOptions { ServerCertificate = certificate },
            CancellationToken.None);
        await client.AuthenticateAsClientAsync("127.0.0.1").WaitAsync(Timeout);
        await using var tls = await accept.WaitAsync(Timeout);

        var read = tls.Input.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(read.IsCompleted);
        tls.Abort();

        // A closed socket ends the read: as an I/O error, or as end-of-stream.
        try
        {
            var result = await read.WaitAsync(Timeout);
            Assert.True(result.IsCompleted);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
