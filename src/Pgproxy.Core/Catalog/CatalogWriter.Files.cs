namespace Pgproxy.Core.Catalog;

/// <summary>
/// The files the catalog writer keeps in work_dir: the status file, and the queue file of events kept on disk
/// while the system DB cannot take them.
/// </summary>
internal sealed partial class CatalogWriter
{
    /// <summary>
    /// Writes the status file now from the nodes' current state, on the calling thread (start-up does, so the
    /// file on disk matches what pgproxy starts with, -D included).
    /// </summary>
    public void WriteStatusFile()
    {
        var statuses = _nodes.Nodes.Select(n =>
            new SavedNodeStatus(n.NodeId, n.Status, n.LastStatusChange, n.LastStatusReason)).ToList();
        try
        {
            NodeStatusFile.Write(_statusFilePath, statuses);
            _statusFileStale = false;
            _state.SetStatusFileError(null);
            if (_statusFileFailing)
            {
                _statusFileFailing = false;
                Log.StatusFileWritten(_logger, _statusFilePath);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _statusFileStale = true;
            _state.SetStatusFileError(e.Message);
            if (!_statusFileFailing)
            {
                _statusFileFailing = true;
                Log.StatusFileWriteFailed(_logger, _statusFilePath, e.Message);
            }
        }
    }

    /// <summary>Queues the events an earlier run kept in the queue file, before any of this run's.</summary>
    private void ReadQueueFile()
    {
        var warnings = new List<string>();
        IReadOnlyList<PendingNodeEvent> events;
        try
        {
            events = PendingEventSpool.Read(_queuePath, warnings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.QueueBadLine(_logger, $"cannot read \"{_queuePath}\": {e.Message}; its events are not replayed");
            return;
        }

        foreach (var warning in warnings)
        {
            Log.QueueBadLine(_logger, warning);
        }

        _queueFileExists = File.Exists(_queuePath);
        foreach (var pending in events)
        {
            _pending.Enqueue(pending);
        }

        if (events.Count > 0)
        {
            Log.QueueRead(_logger, events.Count, _queuePath);
            _state.SetPending(_pending.Count);
        }
    }

    /// <summary>
    /// Keeps the queue file equal to the queue while events wait for the system DB, and removes it once they
    /// are written. With the system DB up the queue is empty after every sync, so this does no I/O.
    /// </summary>
    private void KeepQueueFile()
    {
        try
        {
            if (_pending.Count == 0)
            {
                if (_queueFileExists)
                {
                    File.Delete(_queuePath);
                    _queueFileExists = false;
                }

                return;
            }

            if (_queueFileStale)
            {
                PendingEventSpool.Write(_queuePath, _pending);
                _queueFileStale = false;
                _queueFileExists = true;
                _queueFileFailing = false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!_queueFileFailing)
            {
                _queueFileFailing = true;
                Log.QueueWriteFailed(_logger, _queuePath, e.Message);
            }
        }
    }
}
