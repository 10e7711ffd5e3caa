using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Pgproxy.Cli;
using Pgproxy.Core.Config;
using Pgproxy.Core.Hosting;
using Pgproxy.Hosting;
using Pgproxy.Process;

namespace Pgproxy;

/// <summary>
/// The <c>pgproxy</c> command: parse the command line, load the configuration, then start, stop, reload, write a
/// pool_passwd entry, or list, attach or detach nodes of the running pgproxy.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // Started under nohup, SIGHUP arrives ignored; pgproxy reload needs it.
        Process.NativeMethods.StopIgnoring(Process.NativeMethods.SigHup);
        var command = CommandLine.Parse(args, out var parseError);
        if (command is null)
        {
            Console.Error.WriteLine($"pgproxy: ERROR: {parseError}");
            Console.Error.WriteLine("Try \"pgproxy --help\" for more information.");
            return 2;
        }

        switch (command.Kind)
        {
            case CommandKind.Help:
                Console.Out.WriteLine(CommandLine.Usage);
                return 0;
            case CommandKind.Version:
                Console.Out.WriteLine(ProductInfo.VersionLine);
                return 0;
            default:
                break;
        }

        var configFile = command.ResolveConfigFile();
        var loaded = ConfigLoader.Load(configFile, command.HbaFile, command.KeyFile);
        foreach (var warning in loaded.Warnings)
        {
            Console.Error.WriteLine($"pgproxy: WARNING: {warning}");
        }

        if (!loaded.Succeeded || loaded.Options is null)
        {
            foreach (var error in loaded.Errors)
            {
                Console.Error.WriteLine($"pgproxy: ERROR: {error}");
            }

            Console.Error.WriteLine($"pgproxy: FATAL: {loaded.Errors.Count} error(s) in the configuration; not started");
            return 1;
        }

        var options = loaded.Options;
        switch (command.Kind)
        {
            case CommandKind.Stop:
                return ControlCommands.Stop(options.PidFileName, command.StopMode, Console.Out, Console.Error);
            case CommandKind.Reload:
                return ControlCommands.Reload(options.PidFileName, Console.Error);
            case CommandKind.Passwd:
                return PasswdCommand.Run(options, command, Console.In, Console.Out, Console.Error);
            case CommandKind.Node:
                return NodeCommand.Run(options, command, Console.Out, Console.Error);
            case CommandKind.Check:
                return CheckCommand.Run(options, command, Console.Out, Console.Error);
            default:
                break;
        }

        if (PidFile.TryRead(options.PidFileName) is { } runningPid && runningPid != Environment.ProcessId
            && NativeMethods.IsAlive(runningPid))
        {
            Console.Error.WriteLine(
                $"pgproxy: FATAL: pid file \"{options.PidFileName}\" names a running process ({runningPid}); " +
                "is another pgproxy running? Stop it first or remove the file.");
            return 1;
        }

        if (!command.Foreground)
        {
            return Daemonizer.Launch(args, options.Logdir, options.PidFileName, Console.Error);
        }

        SignalDispositions.EnsureDeliverable(args);
        return RunHost(command, options, configFile);
    }

    private static int RunHost(CommandLine command, ProxyOptions options, string configFile)
    {
        // Socket continuations run on the epoll thread instead of hopping through the thread-pool queue: on a
        // few cores that hop costs more than everything pgproxy does per message (see anchors.md). Read once,
        // when the first socket is created, so it must be set before that. An explicit setting wins.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            o.IncludeScopes = false;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(command.Debug ? LogLevel.Debug : LogLevels.FromLogMinMessages(options.LogMinMessages));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan);

        builder.Services.AddSingleton(sp => new ProxyServer(options, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton<ShutdownRequest>();
        builder.Services.AddSingleton(
            new StartupArguments(configFile, command.HbaFile, command.KeyFile, command.DiscardStatus));
        builder.Services.AddSingleton<ConfigReloader>();
        builder.Services.AddSingleton<IHostLifetime, SignalLifetime>();
        builder.Services.AddHostedService<ProxyHostedService>();

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pgproxy");
        try
        {
            host.Run();
            return 0;
        }
        catch (SocketException e)
        {
            HostLog.BindFailed(logger, options.Port, e.Message);
            return 1;
        }
        catch (ProxyConfigurationException e)
        {
            foreach (var problem in e.Problems)
            {
                HostLog.StartFailed(logger, problem);
            }

            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            HostLog.StartFailed(logger, e.Message);
            return 1;
        }
    }
}
