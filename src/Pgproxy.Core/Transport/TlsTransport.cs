using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A socket carrying TLS, as a pair of pipes over an <see cref="SslStream"/> on .NET's socket engine: the
/// transport of a client that asked for TLS and of a backend that granted it. The writer's buffers hold one TLS
/// record (16 KiB), so a response burst the session flushes at once is encrypted into as few records, and sent
/// with as few writes, as its size allows; it holds nothing between flushes. The reader's buffer, which a waiting
/// read keeps, is PostgreSQL's own receive buffer size (8 KiB): queries are small, and bigger messages just take
/// more reads.
/// </summary>
internal sealed class TlsTransport : IConnectionTransport
{
    private const int RecordSize = 16 * 1024;
    private const int ReadBufferSize = 8 * 1024;

    /// <summary>Passed to the writer's Complete so that disposing drops unsent bytes instead of writing them.</summary>
    private static readonly IOException Closed = new("the connection is closed");

    private readonly Socket _socket;
    private readonly SslStream _stream;
    private int _disposed;

    private TlsTransport(Socket socket, SslStream stream)
    {
        _socket = socket;
        _stream = stream;
        Input = PipeReader.Create(stream,
            new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 2048, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: RecordSize, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>The peer's certificate, if it sent one (a client asked for one under <c>ssl_ca_cert</c>).</summary>
    public X509Certificate2? RemoteCertificate => _stream.RemoteCertificate as X509Certificate2;

    /// <summary>The negotiated protocol and cipher, for logs (<c>TLSv1.3 TLS_AES_256_GCM_SHA384</c>).</summary>
    public string Description => $"{_stream.SslProtocol} {_stream.NegotiatedCipherSuite}";

    /// <summary>Runs the server side of the handshake on <paramref name="socket"/>; closes it when that fails.</summary>
    public static async Task<TlsTransport> AcceptAsync(Socket socket, SslServerAuthenticationOptions options,
        CancellationToken cancellationToken)
    {
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await stream.AuthenticateAsServerAsync(options, cancellationToken);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }

        return new TlsTransport(socket, stream);
    }

    /// <summary>Runs the client side of the handshake on <paramref name="socket"/>; closes it when that fails.</summary>
    public static async Task<TlsTransport> ConnectAsync(Socket socket, SslClientAuthenticationOptions options,
        CancellationToken cancellationToken)
    {
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await stream.AuthenticateAsClientAsync(options, cancellationToken);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }

        return new TlsTransport(socket, stream);
    }

    /// <summary>
    /// Looks at the socket only: bytes the TLS layer already holds decrypted are not seen, but an idle backend
    /// sends nothing after its ReadyForQuery, so anything it did send is still in the kernel.
    /// </summary>
    public bool LooksIdleAndAlive() => SocketProbe.LooksIdleAndAlive(_socket);

    /// <summary>Closes the socket at once so that pending reads and writes on both pipes fail fast.</summary>
    public void Abort()
    {
        SocketProbe.Shutdown(_socket);
        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await Input.CompleteAsync();
        await Output.CompleteAsync(Closed);
        await _stream.DisposeAsync();
    }
}
