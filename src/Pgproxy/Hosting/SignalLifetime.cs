using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Hosting;
using Pgproxy.Process;

namespace Pgproxy.Hosting;

/// <summary>
/// pgpool's signals instead of the generic host's: SIGTERM smart shutdown, SIGINT fast, SIGQUIT immediate,
/// SIGHUP reload. A second, harsher signal during a smart shutdown escalates it.
/// </summary>
internal sealed class SignalLifetime(
    IHostApplicationLifetime applicationLifetime,
    ShutdownRequest shutdown,
    ProxyServer server,
    ConfigReloader reloader,
    ILogger<SignalLifetime> logger) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _stopping;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, ShutdownMode.Smart)));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, ShutdownMode.Fast)));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => Stop(c, ShutdownMode.Immediate)));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            _ = Task.Run(reloader.Reload);
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Stop(PosixSignalContext context, ShutdownMode mode)
    {
        context.Cancel = true;
        if (mode == ShutdownMode.Immediate)
        {
            HostLog.ImmediateShutdown(logger);
            PidFile.Remove(server.Options.PidFileName, Environment.ProcessId);
            Environment.Exit(0);
        }

        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            if (mode == ShutdownMode.Fast && shutdown.Mode == ShutdownMode.Smart)
            {
                shutdown.Mode = ShutdownMode.Fast;
                server.DisconnectAllClients();
            }

            return;
        }

        shutdown.Mode = mode;
        applicationLifetime.StopApplication();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
