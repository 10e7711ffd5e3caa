using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// One connection to a scripted node of a <see cref="ReplicationHarness"/>: a fake PostgreSQL on the far end of an
/// <see cref="InMemoryTransport"/> that answers the startup, then runs every statement through a
/// <see cref="NodeSession"/> (which follows the node's <see cref="NodeScript"/> and keeps the transaction status as
/// PostgreSQL does). It answers everything it has buffered before flushing, as a backend answers a pipelined batch.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification =
    "The write lock's wait handle is never asked for, so disposing it would release nothing.")]
internal sealed class ScriptedNode
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private static readonly (string Name, string Value)[] Parameters =
    [
        ("server_version", "16.4 (scripted node)"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on"), ("standard_conforming_strings", "on"),
        ("TimeZone", "UTC"),
    ];

    private readonly InMemoryTransport _transport;
    private readonly NodeSession _session;
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly Lock _lock = new();

    /// <summary>Serialises writes to pgproxy: answers, and notifications pushed by a test while the node is idle.</summary>
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly List<byte[]> _received = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedNode(InMemoryTransport transport, NodeScript script, int processId)
    {
        _transport = transport;
        _session = new NodeSession(script, _pending, processId);
        ProcessId = processId;
    }

    public int NodeId => _session.NodeId;

    public int ProcessId { get; }

    /// <summary>The status the node's last ReadyForQuery reported (or would report now).</summary>
    public TransactionStatus Status => _session.Status;

    /// <summary>Completes when the connection is closed (by pgproxy, by Terminate, or by a scripted disconnect).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Every frame received after the startup, in order.</summary>
    public IReadOnlyList<byte[]> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    public void Start() => _ = RunAsync();

    /// <summary>
    /// Sends a NotificationResponse with this connection's pid on its own, as PostgreSQL does to a listening session
    /// that is idle when another session's NOTIFY commits.
    /// </summary>
    public async Task NotifyAsync(string payload)
    {
        await _writeLock.WaitAsync();
        try
        {
            BackendMessageWriter.WriteNotificationResponse(_transport.Output, ProcessId, NodeSession.NotificationChannel,
                payload);
            await _transport.Output.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends FATAL <paramref name="sqlState"/> on its own and closes the connection, as PostgreSQL does to a backend
    /// <c>pg_terminate_backend</c> ends while its session is idle.
    /// </summary>
    public async Task TerminateAsync(string sqlState = "57P01",
        string message = "terminating connection due to administrator command")
    {
        await _writeLock.WaitAsync();
        try
        {
            BackendMessageWriter.WriteErrorResponse(_transport.Output, "FATAL", sqlState, message);
            await _transport.Output.FlushAsync();
            _transport.Abort();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task RunAsync()
    {
        using var lifetime = new CancellationTokenSource(Lifetime);
        var input = _transport.Input;
        var output = _transport.Output;
        try
        {
            if (!await ReadStartupAsync(input, lifetime.Token))
            {
                return;
            }

            BackendMessageWriter.WriteAuthenticationOk(output);
            foreach (var (name, value) in Parameters)
            {
                BackendMessageWriter.WriteParameterStatus(output, name, value);
            }

            BackendMessageWriter.WriteBackendKeyData(output, ProcessId, ProcessId * 31 + 7);
            BackendMessageWriter.WriteReadyForQuery(output, TransactionStatus.Idle);
            await output.FlushAsync(lifetime.Token);

            while (await PipeFrames.ReadFrameAsync(input, lifetime.Token) is { } frame)
            {
                lock (_lock)
                {
                    _received.Add(frame);
                }

                if (frame[0] == FrontendMessageType.Terminate)
                {
                    return;
                }

                var keepOpen = _session.Handle(frame);
                if (!keepOpen && _session.Vanished)
                {
                    _pending.Clear();
                }

                if (_pending.WrittenCount > 0 && (!keepOpen || !PipeFrames.HasBufferedBytes(input)))
                {
                    await _writeLock.WaitAsync(lifetime.Token);
                    try
                    {
                        output.Write(_pending.WrittenSpan);
                        _pending.Clear();
                        await output.FlushAsync(lifetime.Token);
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }

                if (!keepOpen)
                {
                    return; // a scripted crash: the connection goes away without answering
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // pgproxy closed or aborted the connection, as a lost socket would.
        }
        finally
        {
            _transport.Abort();
            _closed.TrySetResult();
        }
    }

    private async Task<bool> ReadStartupAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (StartupPacketReader.TryRead(ref buffer, out _))
            {
                input.AdvanceTo(buffer.Start);
                return true;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return false;
            }
        }
    }
}
