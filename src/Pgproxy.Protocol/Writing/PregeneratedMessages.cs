namespace Pgproxy.Protocol.Writing;

/// <summary>
/// Constant messages encoded once, so the hot path copies bytes instead of formatting them. Exposed as
/// <see cref="ReadOnlyMemory{T}"/> so they can go straight to <c>PipeWriter.WriteAsync</c>; use <c>.Span</c> for
/// an <c>IBufferWriter</c>.
/// </summary>
public static class PregeneratedMessages
{
    private static readonly byte[] ReadyForQueryIdleBytes = [(byte)'Z', 0, 0, 0, 5, (byte)'I'];
    private static readonly byte[] ReadyForQueryInTransactionBytes = [(byte)'Z', 0, 0, 0, 5, (byte)'T'];
    private static readonly byte[] ReadyForQueryFailedBytes = [(byte)'Z', 0, 0, 0, 5, (byte)'E'];
    private static readonly byte[] AuthenticationOkBytes = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0];
    private static readonly byte[] TerminateBytes = [(byte)'X', 0, 0, 0, 4];
    private static readonly byte[] SyncBytes = [(byte)'S', 0, 0, 0, 4];
    private static readonly byte[] SslRefusedBytes = [(byte)'N'];

    public static ReadOnlyMemory<byte> ReadyForQueryIdle => ReadyForQueryIdleBytes;

    public static ReadOnlyMemory<byte> ReadyForQueryInTransaction => ReadyForQueryInTransactionBytes;

    public static ReadOnlyMemory<byte> ReadyForQueryFailed => ReadyForQueryFailedBytes;

    public static ReadOnlyMemory<byte> AuthenticationOk => AuthenticationOkBytes;

    public static ReadOnlyMemory<byte> Terminate => TerminateBytes;

    public static ReadOnlyMemory<byte> Sync => SyncBytes;

    /// <summary>The single byte 'N' refusing SSLRequest/GSSENCRequest.</summary>
    public static ReadOnlyMemory<byte> SslRefused => SslRefusedBytes;
}
