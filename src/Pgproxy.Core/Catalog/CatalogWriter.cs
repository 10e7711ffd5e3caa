using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pgproxy.Core.Backends;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// The one background task that persists node status: sessions hand it each <see cref="NodeStatusChange"/>
/// through a channel (never blocking), and it rewrites the status file at once, then appends the event to the
/// system DB and updates the node rows. While the system DB is unreachable the events wait in a bounded queue,
/// the writer retries with a growing pause (1 s to 30 s) and warns once per outage; when the DB is back it
/// writes the queue in order. The status file never waits for the system DB. During an outage the queue is
/// also kept in <see cref="PendingEventSpool"/>'s file, so a stop or crash loses no event; start-up reads it back.
/// </summary>
internal sealed partial class CatalogWriter : IDisposable
{
    /// <summary>Events kept for the system DB during an outage; past this, the oldest are dropped.</summary>
    public const int MaxPendingEvents = 10_000;

    /// <summary>Changes not yet taken by the writer; only a writer stuck for long could fill it.</summary>
    private const int ChannelCapacity = 4096;

    /// <summary>Events per transaction when the queue is written after an outage.</summary>
    private const int BatchSize = 500;

    /// <summary>The channel's marker for "node rows changed, no event".</summary>
    private static readonly NodeStatusChange RowsOnly =
        new(-1, BackendStatus.Up, BackendStatus.Up, "", DateTimeOffset.MinValue, -1, -1);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>How soon a status file that could not be written is tried again (work_dir full or missing).</summary>
    private static readonly TimeSpan StatusFileRetryDelay = TimeSpan.FromSeconds(5);

    private readonly BackendNodeSet _nodes;
    private readonly SystemDbSettings _settings;
    private readonly string _statusFilePath;
    private readonly string _queuePath;
    private readonly CatalogState _state;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<NodeStatusChange> _channel;
    private readonly Queue<PendingNodeEvent> _pending = new();
    private readonly CancellationTokenSource _stopDeadline = new();
    private SystemDbCatalog? _catalog;
    private Task? _loop;

    // Owned by the loop (or by start-up before the loop runs).
    private bool _nodesStale = true;
    private bool _statusFileStale;
    private bool _statusFileFailing;
    private bool _queueFileStale;
    private bool _queueFileExists;
    private bool _queueFileFailing;
    private bool _outage;
    private bool _dropWarned;
    private TimeSpan _retryDelay = FirstRetryDelay;
    private DateTimeOffset _nextAttempt;
    private int _channelDropped;

    public CatalogWriter(BackendNodeSet nodes, SystemDbSettings settings, string statusFilePath, CatalogState state,
        ILogger logger, TimeProvider time)
    {
        _nodes = nodes;
        _settings = settings;
        _statusFilePath = statusFilePath;
        _queuePath = PendingEventSpool.PathIn(Path.GetDirectoryName(statusFilePath) ?? ".");
        _state = state;
        _logger = logger;
        _time = time;
        _channel = Channel.CreateBounded<NodeStatusChange>(
            new BoundedChannelOptions(ChannelCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _channelDropped));
        _state.Description = settings.Description;
    }

    /// <summary>
    /// Queues a change; the <see cref="BackendNodeSet.StatusChanged"/> handler. Called on a session's thread in
    /// the middle of a statement: it never blocks and does no I/O.
    /// </summary>
    public void Enqueue(NodeStatusChange change) => _channel.Writer.TryWrite(change);

    /// <summary>
    /// Asks for the node rows to be written again (a reload changed a weight or flag); the
    /// <see cref="BackendNodeSet.Reconfigured"/> handler, and as cheap as <see cref="Enqueue"/>.
    /// </summary>
    public void RewriteNodeRows() => _channel.Writer.TryWrite(RowsOnly);

    /// <summary>
    /// Starts the loop, with the connection start-up opened (null when the system DB was unreachable).
    /// </summary>
    public void Start(SystemDbCatalog? openCatalog)
    {
        ReadQueueFile();
        _catalog = openCatalog;
        if (openCatalog is not null)
        {
            LogConnected(openCatalog);
            _state.SetConnected(openCatalog.SchemaVersion);
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Records a failure to reach the system DB that happened before the loop ran (at start): warns, as the
    /// first failure of an outage, and schedules the first retry.
    /// </summary>
    public void ReportFailure(Exception error) => Failed(error);

    /// <summary>
    /// Stops taking changes, writes the status file and makes one last attempt to write what is queued to the
    /// system DB, giving up after <paramref name="deadline"/>; what is still queued then is reported as lost.
    /// </summary>
    public async Task StopAsync(TimeSpan deadline)
    {
        _channel.Writer.TryComplete();
        _stopDeadline.CancelAfter(deadline);
        if (_loop is not null)
        {
            try
            {
                // The loop gives up at the deadline itself; the margin is for a driver that ignores cancellation.
                await _loop.WaitAsync(deadline + TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
                Log.FlushIncomplete(_logger, _pending.Count, _queuePath);
            }
        }
        else if (_catalog is not null)
        {
            await _catalog.DisposeAsync();
        }
    }

    /// <summary>Releases the stop timer; call after <see cref="StopAsync"/> (kept if the loop outlived it).</summary>
    public void Dispose()
    {
        if (_loop is null || _loop.IsCompleted)
        {
            _stopDeadline.Dispose();
        }
    }

    private bool HasDatabaseWork => _nodesStale || _pending.Count > 0;

    private async Task RunAsync()
    {
        try
        {
            await LoopAsync();
        }
#pragma warning disable CA1031 // A bug here must not take pgproxy down, nor make its stop throw; it is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.WriterFailed(_logger, e);
        }
    }

    private async Task LoopAsync()
    {
        var reader = _channel.Reader;
        var completed = false;
        while (true)
        {
            var changed = false;
            while (reader.TryRead(out var change))
            {
                if (ReferenceEquals(change, RowsOnly))
                {
                    _nodesStale = true;
                    continue;
                }

                Pend(change);
                changed = true;
            }

            if (changed || _statusFileStale)
            {
                WriteStatusFile();
            }

            if (completed)
            {
                await FinalFlushAsync();
                return;
            }

            if (HasDatabaseWork && _time.GetUtcNow() >= _nextAttempt)
            {
                await SyncAsync(_stopDeadline.Token);
            }

            KeepQueueFile();

            completed = !await WaitAsync(reader);
        }
    }

    /// <summary>
    /// Waits for the next change, or until the next retry when something waits for a retry. False once the
    /// channel is completed and empty.
    /// </summary>
    private async Task<bool> WaitAsync(ChannelReader<NodeStatusChange> reader)
    {
        if (!HasDatabaseWork && !_statusFileStale)
        {
            return await reader.WaitToReadAsync();
        }

        var now = _time.GetUtcNow();
        var wake = HasDatabaseWork ? _nextAttempt : DateTimeOffset.MaxValue;
        if (_statusFileStale && now + StatusFileRetryDelay < wake)
        {
            wake = now + StatusFileRetryDelay;
        }

        var delay = wake - now;
        if (delay <= TimeSpan.Zero)
        {
            return !reader.Completion.IsCompleted;
        }

        using var timer = new CancellationTokenSource(delay, _time);
        try
        {
            return await reader.WaitToReadAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private void Pend(NodeStatusChange change)
    {
        _nodesStale = true;
        _pending.Enqueue(new PendingNodeEvent(Guid.NewGuid(), change));
        _queueFileStale = true;
        var dropped = Interlocked.Exchange(ref _channelDropped, 0);
        while (_pending.Count > MaxPendingEvents)
        {
            _pending.Dequeue();
            dropped++;
        }

        if (dropped > 0)
        {
            _state.AddDropped(dropped);
            if (!_dropWarned)
            {
                _dropWarned = true;
                Log.EventsDropped(_logger, MaxPendingEvents);
            }
        }

        _state.SetPending(_pending.Count);
    }

    /// <summary>
    /// One attempt: (re)connect and migrate when needed, write the queued events in order, then every node row
    /// as it is now (rows are snapshots, so a replayed old event never leaves a row behind the live state).
    /// </summary>
    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var replayed = 0;
        try
        {
            if (_catalog is null)
            {
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connect.CancelAfter(_settings.ConnectTimeout + TimeSpan.FromSeconds(15));
                _catalog = await SystemDbCatalog.OpenAsync(_settings, connect.Token);
                _nodesStale = true;
                LogConnected(_catalog);
            }

            do
            {
                var batch = _pending.Take(BatchSize).ToList();
                await _catalog.WriteAsync(batch, CatalogNodeRow.Snapshot(_nodes), allNodes: true, cancellationToken);
                for (var i = 0; i < batch.Count; i++)
                {
                    _pending.Dequeue();
                }

                _queueFileStale = true;
                replayed += batch.Count;
                _state.AddWritten(batch.Count);
                _state.SetPending(_pending.Count);
            }
            while (_pending.Count > 0);

            _nodesStale = false;
            _state.SetConnected(_catalog.SchemaVersion);
            _retryDelay = FirstRetryDelay;
            if (_outage)
            {
                _outage = false;
                _dropWarned = false;
                Log.Reconnected(_logger, _settings.Description, replayed);
            }
        }
#pragma warning disable CA1031 // Whatever the driver or the server throws, pgproxy keeps serving and retries.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (_catalog is not null)
            {
                await _catalog.DisposeAsync();
                _catalog = null;
            }

            Failed(e);
        }
    }

    private void Failed(Exception error)
    {
        var now = _time.GetUtcNow();
        var message = Describe(error);
        _state.SetFailed(message, now);
        if (!_outage)
        {
            _outage = true;
            Log.Unreachable(_logger, _settings.Description, message);
        }
        else
        {
            Log.RetryFailed(_logger, message, _retryDelay.TotalSeconds);
        }

        _nextAttempt = now + _retryDelay;
        _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
    }

    private async Task FinalFlushAsync()
    {
        if (HasDatabaseWork && !_stopDeadline.IsCancellationRequested)
        {
            await SyncAsync(_stopDeadline.Token);
        }

        KeepQueueFile();
        if (_pending.Count > 0)
        {
            Log.FlushIncomplete(_logger, _pending.Count, _queuePath);
        }

        if (_catalog is not null)
        {
            await _catalog.DisposeAsync();
            _catalog = null;
        }
    }

    private void LogConnected(SystemDbCatalog catalog)
    {
        foreach (var migration in catalog.Applied)
        {
            Log.Migrated(_logger, migration.Version, migration.Description);
        }

        if (catalog.SchemaVersion > CatalogMigrations.LatestVersion)
        {
            Log.SchemaNewer(_logger, catalog.SchemaVersion, CatalogMigrations.LatestVersion);
        }

        Log.Connected(_logger, _settings.Description, catalog.SchemaVersion);
    }

    /// <summary>The error in one line, with the cause a driver exception wraps (e.g. "Connection refused").</summary>
    internal static string Describe(Exception error) => error switch
    {
        OperationCanceledException => "timed out",
        Npgsql.PostgresException => error.Message,
        { InnerException: { } inner } when !error.Message.Contains(inner.Message.TrimEnd('.'),
            StringComparison.Ordinal) => $"{error.Message} ({inner.Message})",
        _ => error.Message,
    };
}
