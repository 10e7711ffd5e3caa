using System.Net.Security;
using System.Net.Sockets;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Tls;

/// <summary>A bare TLS client: SSLRequest, handshake, and a look at the certificate pgproxy showed.</summary>
internal static class TlsProbe
{
    /// <summary>The SHA-1 thumbprint of the certificate a new TLS session on <paramref name="port"/> is shown.</summary>
    public static async Task<string> ServerThumbprintAsync(int port)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(PostgresInstance.Host, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(RawPgClient.SslRequest());
        var answer = new byte[1];
        await stream.ReadExactlyAsync(answer);
        Assert.Equal((byte)'S', answer[0]);
        string? thumbprint = null;
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            // Whatever it is, the test compares it with the one it expects.
            thumbprint = certificate?.GetCertHashString();
            return thumbprint is not null;
        });
        await tls.AuthenticateAsClientAsync(PostgresInstance.Host);
        return thumbprint ?? throw new InvalidOperationException("pgproxy showed no certificate");
    }
}
