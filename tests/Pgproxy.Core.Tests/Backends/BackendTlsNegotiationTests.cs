using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;
using Pgproxy.Core.Tls;
using Pgproxy.TestUtilities.Tls;

namespace Pgproxy.Core.Tests.Backends;

/// <summary>
/// The SSLRequest pgproxy sends a node under <c>backend_ssl</c>, against a fake node on a real loopback socket that
/// answers what a test wants: TLS when it says S, plain text when it says N, and no trust in anything else.
/// </summary>
public sealed class BackendTlsNegotiationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = TestPki.Create("backend");
    private readonly IssuedCertificate _nodeCertificate;

    public BackendTlsNegotiationTests()
    {
        _nodeCertificate = _pki.IssueServer();
    }

    public void Dispose() => _pki.Dispose();

    [Theory]
    [InlineData("prefer")]
    [InlineData("require")]
    public async Task OpenAsync_NodeAnswersS_StartupRunsOverTls(string mode)
    {
        await using var node = FakeNode.Start("S"u8.ToArray(), _nodeCertificate);

        await using var connection = await OpenAsync(node, Tls(mode));

        Assert.True(connection.IsSsl);
        Assert.True(await node.SawTls.WaitAsync(Timeout));
        Assert.Equal(4242, connection.ProcessId);
    }

    [Fact]
    public async Task OpenAsync_PreferAndNodeAnswersN_StartupRunsInPlainText()
    {
        await using var node = FakeNode.Start("N"u8.ToArray(), _nodeCertificate);

        await using var connection = await OpenAsync(node, Tls("prefer"));

        Assert.False(connection.IsSsl);
        Assert.False(await node.SawTls.WaitAsync(Timeout));
        Assert.Equal(4242, connection.ProcessId);
    }

    [Fact]
    public async Task OpenAsync_BackendSslOff_SendsNoSslRequest()
    {
        await using var node = FakeNode.Start([], _nodeCertificate);

        // ssl = on with backend_ssl = off: TLS towards clients only.
        var tls = ProxyTls.Load(new ProxyOptions
        {
            Ssl = true, SslCert = _nodeCertificate.CertFile, SslKey = _nodeCertificate.KeyFile, BackendSsl = "off",
        });
        Assert.Equal(BackendSslMode.Off, tls?.BackendMode);

        await using var connection = await OpenAsync(node, tls!);

        Assert.False(connection.IsSsl);
        Assert.False(await node.SawTls.WaitAsync(Timeout));
    }

    [Fact]
    public async Task OpenAsync_RequireAndNodeAnswersN_Refused()
    {
        await using var node = FakeNode.Start("N"u8.ToArray(), _nodeCertificate);

        var error = await Assert.ThrowsAsync<BackendStartupException>(() => OpenAsync(node, Tls("require")));

        Assert.Contains("backend_ssl = require", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_BytesAfterTheNodesS_Refused()
    {
        await using var node = FakeNode.Start("SZ\0\0\0\u0005I"u8.ToArray(), _nodeCertificate);

        var error = await Assert.ThrowsAsync<BackendStartupException>(() => OpenAsync(node, Tls("prefer")));

        Assert.Contains("unencrypted data after its SSL response", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_ErrorInsteadOfAnAnswer_RefusedWithoutRepeatingIt()
    {
        byte[] error = [(byte)'E', 0, 0, 0, 20, (byte)'M', .. "evil message\0\0"u8];
        await using var node = FakeNode.Start(error, _nodeCertificate);

        var refused = await Assert.ThrowsAsync<BackendStartupException>(() => OpenAsync(node, Tls("prefer")));

        Assert.Contains("unexpected byte 0x45", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("evil", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_CaThatSignedTheNode_Accepted()
    {
        await using var node = FakeNode.Start("S"u8.ToArray(), _nodeCertificate);

        await using var connection = await OpenAsync(node, Tls("require", _pki.CaFile));

        Assert.True(connection.IsSsl);
    }

    [Fact]
    public async Task OpenAsync_CaThatDidNotSignTheNode_Refused()
    {
        using var otherPki = TestPki.Create("other");
        await using var node = FakeNode.Start("S"u8.ToArray(), _nodeCertificate);

        var error = await Assert.ThrowsAsync<BackendStartupException>(
            () => OpenAsync(node, Tls("require", otherPki.CaFile)));

        Assert.Contains("TLS handshake with backend node 0", error.Message, StringComparison.Ordinal);
    }

    private static ProxyTls Tls(string mode, string ca = "") =>
        ProxyTls.Load(new ProxyOptions { BackendSsl = mode, SslCaCert = ca })!;

    private static Task<BackendConnection> OpenAsync(FakeNode node, ProxyTls tls) =>
        BackendConnection.OpenAsync(0,
            BackendEndpoint.From(new BackendConfig { NodeId = 0, Hostname = "127.0.0.1", Port = node.Port }),
            BackendPoolKey.From("postgres", "postgres", []), null, 5000, null, tls, CancellationToken.None);

    /// <summary>
    /// Accepts one connection. With an answer it expects an SSLRequest and sends the answer; after an S it runs the
    /// TLS handshake. Then it answers a StartupMessage with AuthenticationOk, BackendKeyData and ReadyForQuery.
    /// </summary>
    private sealed class FakeNode : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly TaskCompletionSource<bool> _sawTls = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _serve;

        private FakeNode(byte[] answer, IssuedCertificate certificate)
        {
            Answer = answer;
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _serve = ServeAsync(certificate);
        }

        public byte[] Answer { get; }

        public int Port { get; }

        /// <summary>Whether the startup ran over TLS (false once it ran in plain text or the connection ended).</summary>
        public Task<bool> SawTls => _sawTls.Task;

        public static FakeNode Start(byte[] answer, IssuedCertificate certificate) => new(answer, certificate);

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            try
            {
                await _serve.WaitAsync(Timeout);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
                                          or System.Security.Authentication.AuthenticationException)
            {
                // The proxy side hung up, as some tests want.
            }
        }

        private async Task ServeAsync(IssuedCertificate certificate)
        {
            try
            {
                using var socket = await _listener.AcceptAsync();
                Stream stream = new NetworkStream(socket, ownsSocket: false);
                if (Answer.Length > 0)
                {
                    var request = new byte[8];
                    await stream.ReadExactlyAsync(request);
                    Assert.Equal(80877103, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(4)));
                    await stream.WriteAsync(Answer);
                    if (Answer is not [(byte)'S'] and not [(byte)'N'])
                    {
                        await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false); // until pgproxy hangs up
                        return;
                    }
                }

                var tls = Answer is [(byte)'S'];
                if (tls)
                {
                    using var key = X509Certificate2.CreateFromPem(certificate.CertificatePem, certificate.KeyPem);
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = key });
                    stream = ssl;
                }

                var length = new byte[4];
                await stream.ReadExactlyAsync(length);
                await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(length) - 4]);
                byte[] reply =
                [
                    (byte)'R', 0, 0, 0, 8, 0, 0, 0, 0,
                    (byte)'K', 0, 0, 0, 12, 0, 0, 0x10, 0x92, 0, 0, 0, 7,
                    (byte)'Z', 0, 0, 0, 5, (byte)'I',
                ];
                await stream.WriteAsync(reply);
                _sawTls.TrySetResult(tls);
                await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false); // until pgproxy closes
            }
            finally
            {
                _sawTls.TrySetResult(false);
            }
        }
    }
}
