using Microsoft.Extensions.Logging;
using Pgproxy.Core.Logging;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// What happens to node status when pgproxy starts, before it accepts a client: reach the system DB (create or
/// migrate its schema) within <c>connect_timeout</c> (at most 20 s), read the status file and the catalog's node rows, start
/// the nodes a previous run left down as down (unless -D), write the status file, then start the
/// <see cref="CatalogWriter"/> and hand it every status change from now on.
/// </summary>
internal static partial class CatalogStartup
{
    public static CatalogWriter Run(ICatalogServices services, bool discardStatus)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.Options;
        var logger = services.LoggerFactory.CreateLogger("Pgproxy.Catalog");
        var warnings = new List<string>();
        var settings = SystemDbSettings.From(options, services.PoolPasswd, warnings);
        foreach (var warning in warnings)
        {
            Log.SettingsWarning(logger, warning);
        }

        var statusFilePath = NodeStatusFile.PathIn(options.WorkDir);
        var writer = new CatalogWriter(services.Nodes, settings, statusFilePath, services.Catalog, logger,
            services.Time);

        var (catalog, catalogStatuses) = OpenCatalog(settings, discardStatus, writer);
        if (discardStatus)
        {
            Log.Discarded(logger, statusFilePath);
        }
        else
        {
            var fileStatuses = ReadStatusFile(statusFilePath, logger);
            var restored = NodeStatusRestore.Decide(services.Nodes.Nodes, fileStatuses, catalogStatuses,
                out var allDownIgnored);
            if (allDownIgnored)
            {
                Log.AllDownIgnored(logger);
            }

            NodeStatusRestore.Apply(services.Nodes, restored);
            foreach (var node in restored)
            {
                Log.Restored(logger, node.Saved.NodeId, node.Source, node.Saved.ChangedAt, node.Saved.Reason);
            }
        }

        writer.WriteStatusFile();
        services.Nodes.StatusChanged += writer.Enqueue;
        services.Nodes.Reconfigured += writer.RewriteNodeRows;
        writer.Start(catalog);
        return writer;
    }

    /// <summary>
    /// Connects and migrates within the connect timeout, and reads the node rows unless they are to be
    /// discarded. An unreachable system DB is reported to the writer (one warning) and start-up goes on.
    /// </summary>
    private static (SystemDbCatalog? Catalog, IReadOnlyList<SavedNodeStatus> Statuses) OpenCatalog(
        SystemDbSettings settings, bool discardStatus, CatalogWriter writer)
    {
        SystemDbCatalog? catalog = null;
        using var timeout = new CancellationTokenSource(settings.StartupWait);
        try
        {
            // Start is synchronous and runs before any client is accepted: there is nothing to block.
            catalog = SystemDbCatalog.OpenAsync(settings, timeout.Token).GetAwaiter().GetResult();
            var statuses = discardStatus ? [] : catalog.ReadNodeStatusesAsync(timeout.Token).GetAwaiter().GetResult();
            return (catalog, statuses);
        }
#pragma warning disable CA1031 // Whatever the driver or the server throws, pgproxy starts without the system DB.
        catch (Exception e)
#pragma warning restore CA1031
        {
            catalog?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            writer.ReportFailure(e);
            return (null, []);
        }
    }

    /// <summary>The status file's entries; none when it is missing or unreadable (warned), bad lines skipped.</summary>
    private static IReadOnlyList<SavedNodeStatus> ReadStatusFile(string path, ILogger logger)
    {
        try
        {
            var content = NodeStatusFile.Read(path);
            if (content is null)
            {
                return [];
            }

            foreach (var warning in content.Warnings)
            {
                Log.BadLine(logger, warning);
            }

            return content.Entries;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ReadFailed(logger, path, e.Message);
            return [];
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.CatalogSettingsWarning, LogLevel.Warning, "{Warning}")]
        public static partial void SettingsWarning(ILogger logger, string warning);

        [LoggerMessage(EventIds.StatusFileBadLine, LogLevel.Warning, "status file {Problem}")]
        public static partial void BadLine(ILogger logger, string problem);

        [LoggerMessage(EventIds.StatusFileReadFailed, LogLevel.Warning,
            "cannot read the status file \"{Path}\": {Error}; starting without the saved node status")]
        public static partial void ReadFailed(ILogger logger, string path, string error);

        [LoggerMessage(EventIds.StatusDiscarded, LogLevel.Information,
            "-D given: saved node status (\"{Path}\" and the system DB's nodes) discarded; every node starts waiting")]
        public static partial void Discarded(ILogger logger, string path);

        [LoggerMessage(EventIds.StatusRestored, LogLevel.Warning,
            "node {NodeId} starts down as the {Source} says (down since {Since:u}: {Reason}); it stays down until " +
            "attached (or pgproxy starts with -D)")]
        public static partial void Restored(ILogger logger, int nodeId, string source, DateTimeOffset since,
            string reason);

        [LoggerMessage(EventIds.StatusAllDownIgnored, LogLevel.Warning,
            "saved node status has every node down; ignoring it (as pgpool does) and starting every node waiting")]
        public static partial void AllDownIgnored(ILogger logger);
    }
}
