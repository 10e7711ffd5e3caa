using System.Security.Authentication;
using Pgproxy.Core.Tls;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Backends;

internal sealed partial class BackendConnection
{
    /// <summary>True when pgproxy talks to this node over TLS.</summary>
    public bool IsSsl => _pipe is TlsTransport;

    /// <summary>
    /// Sends an SSLRequest when <c>backend_ssl</c> asks for TLS, as libpq does: <c>S</c> → TLS handshake on the same
    /// socket, <c>N</c> → plain text (refused under <c>require</c>). Unix sockets stay plain, as with libpq. Anything
    /// else in answer, or bytes after the <c>S</c>, are not the node speaking (CVE-2021-23222, CVE-2024-10977):
    /// the connection is dropped and nothing the peer sent reaches a client. Disposes <paramref name="plain"/> when
    /// it fails.
    /// </summary>
    private static async Task<IConnectionTransport> NegotiateTlsAsync(IConnectionTransport plain, int nodeId,
        BackendEndpoint endpoint, ProxyTls? tls, int connectTimeoutMs, CancellationToken cancellationToken)
    {
        if (tls is null || tls.BackendMode == BackendSslMode.Off || endpoint.IsUnixSocket
            || plain is not ISocketTransport socketTransport)
        {
            return plain;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (connectTimeoutMs > 0)
        {
            timeout.CancelAfter(connectTimeoutMs);
        }

        try
        {
            FrontendMessageWriter.WriteSslRequest(plain.Output);
            await plain.Output.FlushAsync(timeout.Token);
            var result = await plain.Input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (buffer.IsEmpty)
            {
                throw Failure(nodeId, endpoint, "closed the connection in answer to SSLRequest");
            }

            var answer = buffer.FirstSpan[0];
            var more = buffer.Length > 1;
            plain.Input.AdvanceTo(buffer.GetPosition(1));
            switch (answer)
            {
                case (byte)'N' when tls.BackendMode == BackendSslMode.Require:
                    throw Failure(nodeId, endpoint, "does not accept TLS, and backend_ssl = require");
                case (byte)'N':
                    return plain;
                case (byte)'S' when more:
                    throw Failure(nodeId, endpoint, "sent unencrypted data after its SSL response");
                case (byte)'S':
                    var socket = socketTransport.DetachSocket();
                    return await TlsTransport.ConnectAsync(socket, tls.BackendOptions(endpoint.Host), timeout.Token);
                default:
                    throw Failure(nodeId, endpoint, $"answered SSLRequest with an unexpected byte 0x{answer:x2}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await plain.DisposeAsync();
            throw new BackendStartupException(SqlState.SqlClientUnableToEstablishConnection,
                $"timed out during TLS negotiation with backend node {nodeId} at {endpoint}");
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await plain.DisposeAsync();
            throw new BackendStartupException(SqlState.ConnectionFailure,
                $"TLS handshake with backend node {nodeId} at {endpoint} failed: {e.Message}", inner: e);
        }
        catch
        {
            await plain.DisposeAsync();
            throw;
        }
    }

    private static BackendStartupException Failure(int nodeId, BackendEndpoint endpoint, string what) =>
        new(SqlState.ConnectionFailure, $"backend node {nodeId} at {endpoint} {what}");
}
