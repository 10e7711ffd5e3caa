using Microsoft.Extensions.Logging;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;

namespace Pgproxy.Hosting;

/// <summary>
/// SIGHUP: re-reads pgproxy.conf (and the pool_hba.conf and pool_passwd it names). A file with errors changes
/// nothing and each error is logged with its file and line; otherwise the new values apply and keys that need a
/// restart are named in the log.
/// </summary>
internal sealed class ConfigReloader(ProxyServer server, StartupArguments arguments, ILogger<ConfigReloader> logger)
{
    private readonly Lock _lock = new();

    public void Reload()
    {
        lock (_lock)
        {
            var result = ConfigLoader.Load(arguments.ConfigFile, arguments.HbaFile, arguments.KeyFile);
            foreach (var warning in result.Warnings)
            {
                HostLog.ConfigWarning(logger, new ConfigDiagnosticText(warning));
            }

            if (!result.Succeeded || result.Options is null)
            {
                foreach (var error in result.Errors)
                {
                    HostLog.ConfigError(logger, new ConfigDiagnosticText(error));
                }

                HostLog.ReloadFailed(logger, arguments.ConfigFile);
                return;
            }

            try
            {
                server.Reload(result.Options);
            }
            catch (ProxyConfigurationException e)
            {
                foreach (var problem in e.Problems)
                {
                    HostLog.ReloadProblem(logger, problem);
                }

                HostLog.ReloadFailed(logger, arguments.ConfigFile);
            }
        }
    }
}
