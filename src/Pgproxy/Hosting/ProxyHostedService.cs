using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Hosting;
using Pgproxy.Process;

namespace Pgproxy.Hosting;

/// <summary>
/// Runs the <see cref="ProxyServer"/> inside the generic host: binds at start and only then writes the pid file
/// (so a waiting parent knows pgproxy is ready), stops in the mode the signal asked for, removes the pid file.
/// </summary>
internal sealed class ProxyHostedService(ProxyServer server, ShutdownRequest shutdown, StartupArguments arguments,
    ILogger<ProxyHostedService> logger) : IHostedService
{
    private readonly int _pid = Environment.ProcessId;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        server.Start(arguments.DiscardStatus);
        PidFile.Write(server.Options.PidFileName, _pid);
        HostLog.PidFileWritten(logger, server.Options.PidFileName);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await server.StopAsync(shutdown.Mode);
        }
        finally
        {
            PidFile.Remove(server.Options.PidFileName, _pid);
        }
    }
}
