using Microsoft.Extensions.Logging;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hba;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Hosting;

/// <summary>
/// The files client authentication reads, pool_hba.conf and pool_passwd, loaded at start and again at each
/// reload. Both throw on errors, so a reload with a broken file changes nothing.
/// </summary>
internal static partial class ClientAuthFiles
{
    /// <summary>Reads pool_hba.conf when <c>enable_pool_hba</c> is on; null when it is off.</summary>
    public static IReadOnlyList<HbaRule>? LoadHba(ProxyOptions options)
    {
        if (!options.EnablePoolHba)
        {
            return null;
        }

        var result = HbaFileParser.Load(options.HbaFilePath);
        if (!result.Succeeded)
        {
            throw new ProxyConfigurationException(result.Errors.Select(e => e.ToString()).ToList());
        }

        return result.Rules;
    }

    /// <summary>Reads pool_passwd and decrypts its AES entries; throws when either fails.</summary>
    public static PoolPasswd LoadPoolPasswd(ProxyOptions options, ILogger logger)
    {
        var warnings = new List<string>();
        var poolPasswd = PoolPasswd.Load(options.PoolPasswd, PoolKey.ResolvePath(options.PoolKey), warnings);
        foreach (var warning in warnings)
        {
            Log.ConfigWarning(logger, warning);
        }

        return poolPasswd;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigWarning, LogLevel.Warning, "{Warning}")]
        public static partial void ConfigWarning(ILogger logger, string warning);
    }
}
