using Pgproxy.Core.Config;

namespace Pgproxy.Core.Backends;

/// <summary>The part of the configuration the connection cache reads; swapped whole on reload.</summary>
internal sealed record PoolSettings(bool ConnectionCache, int MaxPool, int ConnectionLifeTimeSeconds)
{
    public static PoolSettings From(ProxyOptions options) =>
        new(options.ConnectionCache, options.MaxPool, options.ConnectionLifeTime);
}
