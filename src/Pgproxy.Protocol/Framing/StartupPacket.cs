namespace Pgproxy.Protocol.Framing;

/// <summary>A decoded startup packet (the first message of a connection, which has no type byte).</summary>
public sealed class StartupPacket
{
    /// <summary>Protocol 3.0: major version in the high 16 bits, minor in the low 16.</summary>
    public const int ProtocolVersion30 = 196608;

    /// <summary>The newest 3.x minor the proxy speaks: 3.2 only differs from 3.0 by allowing longer cancel keys,
    /// and the proxy issues 4-byte keys, which are valid in 3.2 too.</summary>
    public const int NewestSupportedMinorVersion = 2;

    /// <summary>Code 1234.5679 of SSLRequest.</summary>
    public const int SslRequestCode = 80877103;

    /// <summary>Code 1234.5680 of GSSENCRequest.</summary>
    public const int GssEncRequestCode = 80877104;

    /// <summary>Code 1234.5678 of CancelRequest.</summary>
    public const int CancelRequestCode = 80877102;

    /// <summary>Prefix of protocol options (as opposed to run-time parameters) in a StartupMessage.</summary>
    public const string ProtocolOptionPrefix = "_pq_.";

    public StartupPacketKind Kind { get; init; }

    /// <summary>For a StartupMessage, major &lt;&lt; 16 | minor; otherwise the request code.</summary>
    public int ProtocolVersion { get; init; }

    public int ProtocolMajorVersion => ProtocolVersion >>> 16;

    public int ProtocolMinorVersion => ProtocolVersion & 0xFFFF;

    /// <summary>
    /// Every name/value pair of a StartupMessage in wire order, user and database included, as the bytes the client
    /// sent.
    /// </summary>
    public IReadOnlyList<StartupParameter> Parameters { get; init; } = [];

    /// <summary>The <c>user</c> parameter; never empty for a StartupMessage, "" for the other kinds.</summary>
    public string User { get; init; } = "";

    /// <summary>The <c>database</c> parameter, or <see cref="User"/> when it is absent or empty (as PostgreSQL
    /// does).</summary>
    public string Database { get; init; } = "";

    /// <summary>The backend process id a CancelRequest names.</summary>
    public int CancelProcessId { get; init; }

    /// <summary>The secret key a CancelRequest presents.</summary>
    public int CancelSecretKey { get; init; }

    /// <summary>
    /// Parameter names starting with <c>_pq_.</c>: the proxy understands none, so they go back to the client in
    /// NegotiateProtocolVersion.
    /// </summary>
    public IReadOnlyList<string> UnsupportedProtocolOptions { get; init; } = [];

    /// <summary>The (UTF-8 decoded) value of parameter <paramref name="name"/>, or null when absent.</summary>
    public string? GetParameter(string name)
    {
        string? found = null;
        foreach (StartupParameter pair in Parameters)
        {
            if (pair.Name == name)
            {
                found = pair.Value; // the last one counts, as in PostgreSQL
            }
        }

        return found;
    }
}
