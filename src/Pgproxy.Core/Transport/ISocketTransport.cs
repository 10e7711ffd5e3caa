using System.Net.Sockets;

namespace Pgproxy.Core.Transport;

/// <summary>
/// A plain transport that can give its socket up so that TLS can run on it: the client side after answering
/// <c>S</c> to an SSLRequest, the backend side after the node answered <c>S</c> to pgproxy's.
/// </summary>
internal interface ISocketTransport : IConnectionTransport
{
    /// <summary>
    /// Stops serving the socket and hands it over open, in blocking mode (as <see cref="NetworkStream"/> wants;
    /// .NET's asynchronous operations still never block). Bytes the transport had received and not consumed are
    /// dropped: the caller checks there are none first. Disposing the transport afterwards leaves the socket alone.
    /// </summary>
    Socket DetachSocket();
}
