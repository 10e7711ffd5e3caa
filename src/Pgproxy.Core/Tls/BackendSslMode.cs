namespace Pgproxy.Core.Tls;

/// <summary>Whether pgproxy asks a backend for TLS (<c>backend_ssl</c>, with <c>auto</c> resolved).</summary>
internal enum BackendSslMode
{
    /// <summary>Plain text; no SSLRequest is sent.</summary>
    Off,

    /// <summary>SSLRequest first; TLS when the node answers <c>S</c>, plain text when it answers <c>N</c>.</summary>
    Prefer,

    /// <summary>SSLRequest first; a node answering <c>N</c> is refused.</summary>
    Require,
}
