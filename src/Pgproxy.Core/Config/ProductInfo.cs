using System.Reflection;

namespace Pgproxy.Core.Config;

/// <summary>The product name and version, as <c>--version</c> and <c>SHOW POOL_VERSION</c> print them.</summary>
public static class ProductInfo
{
    public const string Name = "pgproxy";

    public static string Version { get; } =
        typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Split('+')[0]
        ?? "0.1.0";

    public static string VersionLine => $"{Name} {Version}";
}
