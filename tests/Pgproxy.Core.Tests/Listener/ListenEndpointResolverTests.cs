using System.Net;
using Pgproxy.Core.Config;
using Pgproxy.Core.Listener;

namespace Pgproxy.Core.Tests.Listener;

public sealed class ListenEndpointResolverTests
{
    [Fact]
    public void TcpEndpoints_Localhost_IsTheLoopbackAddress()
    {
        var endpoints = ListenEndpointResolver.TcpEndpoints(new ProxyOptions { ListenAddresses = "localhost" }, 9999);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 9999)], endpoints);
    }

    [Fact]
    public void TcpEndpoints_ListWithDuplicates_IsDeduplicated()
    {
        var endpoints = ListenEndpointResolver.TcpEndpoints(
            new ProxyOptions { ListenAddresses = "127.0.0.1, 127.0.0.1,::1" }, 5);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 5), new IPEndPoint(IPAddress.IPv6Loopback, 5)], endpoints);
    }

    [Fact]
    public void TcpEndpoints_Empty_ListensOnNoTcpAddress() =>
        Assert.Empty(ListenEndpointResolver.TcpEndpoints(new ProxyOptions { ListenAddresses = "" }, 9999));

    [Fact]
    public void UnixSocketPaths_EachDirectory_GetsPostgresStyleSocketName()
    {
        var paths = ListenEndpointResolver.UnixSocketPaths(
            new ProxyOptions { UnixSocketDirectories = "/tmp, /var/run/pgproxy" }, 9999);
        Assert.Equal(["/tmp/.s.PGSQL.9999", "/var/run/pgproxy/.s.PGSQL.9999"], paths);
    }
}
