using System.Net;
using System.Net.Sockets;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Listener;

/// <summary>
/// Turns <c>listen_addresses</c> and <c>unix_socket_directories</c> into endpoints, with PostgreSQL's meaning:
/// <c>*</c> is every interface, <c>localhost</c> the loopback addresses, an empty list no TCP at all, and each
/// socket directory gets a <c>.s.PGSQL.&lt;port&gt;</c> file.
/// </summary>
internal static class ListenEndpointResolver
{
    public static IReadOnlyList<IPEndPoint> TcpEndpoints(ProxyOptions options, int port)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var raw in options.ListenAddresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw == "*")
            {
                endpoints.Add(new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, port));
            }
            else if (raw.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                endpoints.Add(new IPEndPoint(IPAddress.Loopback, port));
            }
            else if (IPAddress.TryParse(raw, out var address))
            {
                endpoints.Add(new IPEndPoint(address, port));
            }
            else
            {
                endpoints.AddRange(Dns.GetHostAddresses(raw).Select(a => new IPEndPoint(a, port)));
            }
        }

        return endpoints.Distinct().ToList();
    }

    public static IReadOnlyList<string> UnixSocketPaths(ProxyOptions options, int port) =>
        options.UnixSocketDirectories
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(dir => Path.Combine(dir, $".s.PGSQL.{port}"))
            .ToList();
}
