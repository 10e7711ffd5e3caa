using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Pgproxy.Protocol.Auth;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Frontend;
using Pgproxy.Protocol.Messages;
using Pgproxy.Protocol.Writing;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// A fake PostgreSQL on the far end of an <see cref="InMemoryTransport"/> (Npgsql's <c>PgServerMock</c> idea). It
/// answers the startup with AuthenticationOk, the script's ParameterStatus messages, BackendKeyData with its own pid
/// and ReadyForQuery, then answers every message like a healthy server (simple Query with one row, the extended
/// protocol, the empty query, BEGIN/COMMIT/ABORT/DISCARD ALL with the right transaction status) unless the
/// <see cref="ScriptedBackendScript"/> injects a fault. It records every frame it receives and every byte it sends
/// after the startup, and it answers all the messages it has buffered before flushing, so a test can tell whether
/// a pipelined batch arrived in one piece.
/// </summary>
internal sealed partial class ScriptedBackend
{
    public const string ResultColumn = "?column?";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private readonly InMemoryTransport _transport;
    private readonly ScriptedBackendScript _script;
    private readonly Lock _lock = new();
    private readonly List<byte[]> _received = [];
    private readonly List<int> _replyFlushes = [];
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly List<byte> _sent = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TransactionStatus _status = TransactionStatus.Idle;

    public ScriptedBackend(InMemoryTransport transport, ScriptedBackendScript script, int processId)
    {
        _transport = transport;
        _script = script;
        ProcessId = processId;
        SecretKey = processId * 31 + 7;
    }

    public int ProcessId { get; }

    /// <summary>The node pgproxy connected to when it created this backend.</summary>
    public int NodeId { get; init; }

    public int SecretKey { get; }

    /// <summary>The StartupMessage pgproxy sent, once received.</summary>
    public StartupPacket? Startup { get; private set; }

    /// <summary>Completes when the backend closed its side (the proxy went away, sent Terminate, or a fault).</summary>
    public Task Closed => _closed.Task;

    public bool ReceivedTerminate { get; private set; }

    /// <summary>How many password answers pgproxy sent (with a password script).</summary>
    public int AuthenticationAttempts { get; private set; }

    /// <summary>Every frame received after the startup, whole and in order.</summary>
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

    /// <summary>The text of every simple Query received, in order.</summary>
    public IReadOnlyList<string> Queries =>
        Received.Where(f => f[0] == FrontendMessageType.Query).Select(QueryText).ToList();

    /// <summary>For every flush of replies, how many frames had been received by then.</summary>
    public IReadOnlyList<int> ReplyFlushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _replyFlushes];
            }
        }
    }

    /// <summary>Every byte sent after the startup.</summary>
    public byte[] Sent
    {
        get
        {
            lock (_lock)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>True once the backend stopped answering (<see cref="ScriptedBackendScript.FreezeOn"/>).</summary>
    public bool Frozen { get; private set; }

    public void Start() => _ = RunAsync();

    /// <summary>Waits until at least <paramref name="count"/> frames have arrived.</summary>
    public async Task WaitForFramesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"backend {ProcessId} received {Received.Count} of {count} frames");
            }

            await Task.Delay(5);
        }
    }

    public static string QueryText(byte[] frame) => Encoding.UTF8.GetString(frame.AsSpan(5, frame.Length - 6));

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

            if (_script.FreezeAtStartup)
            {
                await StayFrozenAsync(input, lifetime.Token);
                return;
            }

            if (!await AuthenticateAsync(input, output, lifetime.Token))
            {
                return;
            }

            BackendMessageWriter.WriteAuthenticationOk(output);
            foreach (var (name, value) in _script.Parameters)
            {
                BackendMessageWriter.WriteParameterStatus(output, name, value);
            }

            BackendMessageWriter.WriteBackendKeyData(output, ProcessId, SecretKey);
            BackendMessageWriter.WriteReadyForQuery(output, TransactionStatus.Idle);
            await output.FlushAsync(lifetime.Token);

            while (true)
            {
                var frame = await PipeFrames.ReadFrameAsync(input, lifetime.Token);
                if (frame is null)
                {
                    return;
                }

                int count;
                lock (_lock)
                {
                    _received.Add(frame);
                    count = _received.Count;
                }

                if (frame[0] == FrontendMessageType.Terminate)
                {
                    ReceivedTerminate = true;
                    return;
                }

                if (count == _script.DisconnectAfterMessages)
                {
                    WritePartialResult();
                    await FlushRepliesAsync(output, count, lifetime.Token);
                    return;
                }

                if (frame[0] == FrontendMessageType.Query && _script.FreezeOn is { } freezeOn
                    && Statements(QueryText(frame)).Any(freezeOn))
                {
                    Frozen = true;
                    await StayFrozenAsync(input, lifetime.Token);
                    return;
                }

                if (frame[0] == FrontendMessageType.Query && _script.SlowOn is { } slowOn
                    && Statements(QueryText(frame)).Max(slowOn) is { } slow
                    && slow > TimeSpan.Zero)
                {
                    if (_pending.WrittenCount > 0)
                    {
                        await FlushRepliesAsync(output, count, lifetime.Token);
                    }

                    await Task.Delay(slow, lifetime.Token);
                }

                Answer(frame);
                if (_closeAfterReplies)
                {
                    await FlushRepliesAsync(output, count, lifetime.Token);
                    return;
                }

                if (_pending.WrittenCount > 0 && !PipeFrames.HasBufferedBytes(input))
                {
                    await FlushRepliesAsync(output, count, lifetime.Token);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The proxy closed or aborted the connection: that ends the backend like a lost socket would.
        }
        finally
        {
            _transport.Abort();
            _closed.TrySetResult();
        }
    }

    /// <summary>Takes in whatever arrives and answers nothing, until pgproxy closes the connection.</summary>
    private static async Task StayFrozenAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (await PipeFrames.ReadFrameAsync(input, cancellationToken) is not null)
        {
        }
    }

    /// <summary>Runs the script's password exchange, if any; false (after an ErrorResponse) when it fails.</summary>
    private async Task<bool> AuthenticateAsync(PipeReader input, PipeWriter output, CancellationToken cancellationToken)
    {
        var user = Startup!.User;
        if (_script.Md5Password is { } password)
        {
            byte[] salt = [7, 7, 7, 7];
            BackendMessageWriter.WriteAuthenticationMd5Password(output, salt);
            await output.FlushAsync(cancellationToken);
            var answer = await PipeFrames.ReadFrameAsync(input, cancellationToken);
            AuthenticationAttempts++;
            if (answer is not null
                && PasswordMessage.ReadPassword(answer.AsSpan(5)) == Md5Password.Compute(user, password, salt))
            {
                return true;
            }
        }
        else if (_script.ScramVerifier is { } verifier)
        {
            var server = new ScramSha256Server(verifier);
            BackendMessageWriter.WriteAuthenticationSasl(output, [ScramSha256Server.Mechanism]);
            await output.FlushAsync(cancellationToken);
            var initial = await PipeFrames.ReadFrameAsync(input, cancellationToken);
            AuthenticationAttempts++;
            if (initial is null)
            {
                return false;
            }

            var (_, data) = PasswordMessage.ReadSaslInitialResponse(initial.AsSpan(5));
            var serverFirst = server.HandleClientFirstMessage(Encoding.UTF8.GetString(data!));
            BackendMessageWriter.WriteAuthenticationSaslContinue(output, Encoding.UTF8.GetBytes(serverFirst));
            await output.FlushAsync(cancellationToken);
            var final = await PipeFrames.ReadFrameAsync(input, cancellationToken);
            if (final is not null
                && server.TryHandleClientFinalMessage(Encoding.UTF8.GetString(final.AsSpan(5)), out var serverFinal))
            {
                BackendMessageWriter.WriteAuthenticationSaslFinal(output, Encoding.UTF8.GetBytes(serverFinal));
                return true;
            }
        }
        else
        {
            return true;
        }

        BackendMessageWriter.WriteErrorResponse(output, "FATAL", SqlState.InvalidPassword,
            $"password authentication failed for user \"{user}\"");
        await output.FlushAsync(cancellationToken);
        return false;
    }

    private async Task<bool> ReadStartupAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (StartupPacketReader.TryRead(ref buffer, out var packet))
            {
                input.AdvanceTo(buffer.Start);
                Startup = packet;
                return true;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return false;
            }
        }
    }

    private async Task FlushRepliesAsync(PipeWriter output, int receivedCount, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _replyFlushes.Add(receivedCount);
            _sent.AddRange(_pending.WrittenSpan);
        }

        output.Write(_pending.WrittenSpan);
        _pending.Clear();
        await output.FlushAsync(cancellationToken);
    }
}
