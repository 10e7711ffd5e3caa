using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.Core.Sessions;

internal sealed partial class ClientSession
{
    /// <summary>True once the client's TLS handshake has completed; the rest of the session runs over TLS.</summary>
    public bool IsSsl { get; private set; }

    /// <summary>
    /// True from the <c>S</c> answer until the handshake succeeds: an ErrorResponse in plain text then would only
    /// garble the handshake, so a startup cut short in it just closes.
    /// </summary>
    private bool _inTlsHandshake;

    /// <summary>The certificate the client sent in its handshake (only asked for under <c>ssl_ca_cert</c>).</summary>
    public X509Certificate2? ClientCertificate { get; private set; }

    /// <summary>The transport the session talks to the client over now: the accepted one, or TLS on top of it.</summary>
    internal IConnectionTransport Transport => _client;

    /// <summary>
    /// True when an SSLRequest is to be answered <c>S</c>: <c>ssl</c> is on, TLS is not running yet, and the client
    /// came in on a socket (in-memory test transports have none).
    /// </summary>
    private bool CanStartTls => !IsSsl && _runtime.Tls is { AcceptsClients: true } && _client is ISocketTransport;

    /// <summary>
    /// Answers an SSLRequest with <c>S</c> and runs the TLS handshake on the client's socket, which from then on
    /// carries the session. Bytes that came after the SSLRequest were sent before the client could know the answer:
    /// plain text a man in the middle may have slipped in to be read as if it came over TLS (CVE-2021-23214), so
    /// they are a protocol violation. Returns false when the handshake failed (the client is gone then).
    /// </summary>
    private async Task<bool> StartTlsAsync(CancellationToken cancellationToken)
    {
        var tls = _runtime.Tls!;
        var input = _client.Input;
        if (input.TryRead(out var early))
        {
            var buffered = early.Buffer.Length;
            input.AdvanceTo(early.Buffer.Start);
            if (buffered > 0)
            {
                throw new ProtocolViolationException(ProtocolViolationReason.DataBeforeTlsHandshake,
                    "received unencrypted data after SSL request");
            }
        }

        BackendMessageWriter.WriteSslAccepted(_client.Output);
        _inTlsHandshake = true;
        await _client.Output.FlushAsync(cancellationToken);
        var socket = ((ISocketTransport)_client).DetachSocket();
        TlsTransport transport;
        try
        {
            transport = await TlsTransport.AcceptAsync(socket, tls.ClientOptions(), cancellationToken);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            Log.TlsHandshakeFailed(_logger, RemoteAddress, e.Message);
            return false;
        }

        _client = transport;
        _inTlsHandshake = false; // left true when the handshake failed: the socket then speaks neither
        IsSsl = true;
        ClientCertificate = transport.RemoteCertificate;
        Log.TlsStarted(_logger, RemoteAddress, transport.Description);
        return true;
    }
}
