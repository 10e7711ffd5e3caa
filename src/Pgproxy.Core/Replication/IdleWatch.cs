using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Core.Transport;
using Pgproxy.Protocol.Backend;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Messages;

namespace Pgproxy.Core.Replication;

/// <summary>
/// Between requests the session waits for the client and for main at once. Main's asynchronous messages must reach
/// an idle client as they would directly: notifications for a LISTEN, and the FATAL of a backend that
/// <c>pg_terminate_backend</c>, <c>idle_session_timeout</c> or a shutdown ends — a client blocked in Npgsql's
/// <c>Wait()</c> sends nothing, so a FATAL noticed only at its next request would leave it waiting forever
/// (Npgsql's NotificationTests.Wait_breaks_connection hung through two nodes, issue 17).
///
/// Waiting on both costs allocations and a cancelled read per request, which a busy client (pgbench -S: the next
/// query follows the answer by microseconds) pays on every statement: measured 16-30 % of -S throughput through two
/// nodes. So only a client that sent LISTEN is watched from the start of its wait; any other is watched once it has
/// been idle for <see cref="IdleWatchDelay"/>, which one re-armed timer per session measures without allocating.
/// </summary>
internal sealed class IdleWatch
{
    /// <summary>How long a client that never listened waits before main is watched too.</summary>
    private static readonly TimeSpan IdleWatchDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Guards <see cref="_idleWatch"/> between the session and the timer's callback.</summary>
    private readonly Lock _idleLock = new();

    /// <summary>The client issued LISTEN: notifications must reach it at once while it is idle.</summary>
    public bool Listening { get; set; }

    private ITimer? _idleTimer;

    /// <summary>0: no wait armed; 1: a wait for the client is armed; 2: the timer cancelled that wait.</summary>
    private int _idleWatch;

    private readonly IConnectionTransport _client;
    private readonly SessionLinks _nodes;
    private readonly TimeProvider _time;
    private readonly Func<bool> _stopping;
    private readonly Func<BackendTerminatedException, Task<Exception>> _judgeTermination;

    /// <summary>
    /// <paramref name="stopping"/> says the session was told to stop (its client read is then cancelled);
    /// <paramref name="judgeTermination"/> says what a FATAL of main's means (the session's judgement of a terminated backend).
    /// </summary>
    public IdleWatch(IConnectionTransport client, SessionLinks nodes, TimeProvider time, Func<bool> stopping,
        Func<BackendTerminatedException, Task<Exception>> judgeTermination)
    {
        _client = client;
        _nodes = nodes;
        _time = time;
        _stopping = stopping;
        _judgeTermination = judgeTermination;
    }

    /// <summary>
    /// The client's next bytes: at once when it is quick, as it usually is; once it has been idle a while (or at once
    /// after LISTEN), watching main at the same time (<see cref="ReadClientWatchingMainAsync"/>).
    /// </summary>
    public async ValueTask<ReadResult> ReadClientAsync()
    {
        var input = _client.Input;
        var clientRead = input.ReadAsync();
        if (clientRead.IsCompleted || Listening)
        {
            return clientRead.IsCompleted ? clientRead.Result : await ReadClientWatchingMainAsync(clientRead);
        }

        lock (_idleLock)
        {
            _idleWatch = 1;
            _idleTimer ??= _time.CreateTimer(static state => ((IdleWatch)state!).OnIdleWatchDue(),
                this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _idleTimer.Change(IdleWatchDelay, Timeout.InfiniteTimeSpan);
        }

        var result = await clientRead;
        bool due;
        lock (_idleLock)
        {
            due = _idleWatch == 2;
            _idleWatch = 0;
            _idleTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        if (!due || (result.IsCanceled && _stopping()))
        {
            return result; // quick, or a stop that came with the timer: the loop sees the stop
        }

        input.AdvanceTo(result.Buffer.Start);
        if (!result.IsCanceled)
        {
            // The client's bytes came just before the timer's cancel, which is still pending: a read now takes it.
            var pending = await input.ReadAsync();
            input.AdvanceTo(pending.Buffer.Start);
        }

        return await ReadClientWatchingMainAsync(input.ReadAsync());
    }

    /// <summary>On a timer thread: the client has been idle a while; its pending read ends so main is watched too.</summary>
    private void OnIdleWatchDue()
    {
        lock (_idleLock)
        {
            if (_idleWatch == 1)
            {
                _idleWatch = 2;
                _client.Input.CancelPendingRead();
            }
        }
    }

    /// <summary>Releases the timer when the session ends.</summary>
    public void Release()
    {
        lock (_idleLock)
        {
            _idleWatch = 0;
            _idleTimer?.Dispose();
            _idleTimer = null;
        }
    }

    /// <summary>
    /// The client's next bytes. Main's notifications, notices and parameter changes that come meanwhile are passed
    /// on; main's ErrorResponse (only a FATAL can come between requests) ends the session with it when it is this
    /// backend's loss alone, and is left for the next request to judge (failover) when main's node is going away.
    /// </summary>
    private async ValueTask<ReadResult> ReadClientWatchingMainAsync(ValueTask<ReadResult> clientRead)
    {
        if (clientRead.IsCompleted)
        {
            return clientRead.Result;
        }

        // Only a main that owes nothing can be read here: anything else in its pipe belongs to a request.
        if (_nodes.MainOrNull is not { IsQuiet: true } main)
        {
            return await clientRead;
        }

        var clientTask = clientRead.AsTask();
        var cancelledMain = false;
        var cancelConsumed = false;
        while (!clientTask.IsCompleted)
        {
            ReadResult mainResult;
            try
            {
                var mainTask = main.Input.ReadAsync().AsTask();
                await Task.WhenAny(clientTask, mainTask);
                if (!mainTask.IsCompleted)
                {
                    // The client spoke first: stop waiting on main. CancelPendingRead, not a token: a token's
                    // cancellation throws, once per request (measured: -S through two nodes 30 % slower).
                    main.Input.CancelPendingRead();
                    cancelledMain = true;
                }

                mainResult = await mainTask;
            }
            catch (Exception e) when (NodeFailures.IsNodeFailure(e))
            {
                break; // main's connection failed: the next request finds it so and fails over, as for any lost node
            }

            if (mainResult.IsCanceled)
            {
                cancelConsumed = true;
                main.Input.AdvanceTo(mainResult.Buffer.Start); // whatever came meanwhile stays for the next read
                break;
            }

            if (await PassIdleMessagesAsync(main, mainResult) is { } terminated)
            {
                if (await _judgeTermination(terminated) is BackendTerminatedException ending)
                {
                    throw ending;
                }

                break; // main's node is going away: the FATAL stays in main's pipe for the next request to judge
            }

            if (mainResult.IsCompleted)
            {
                break; // closed without a word (a crash): the next request takes the node out, as for any lost node
            }
        }

        if (cancelledMain && !cancelConsumed)
        {
            // Main's read completed with data just before the cancel: the cancel is still pending and would make the
            // next read of main's answer look like a lost connection. A read now returns at once and takes it.
            var pending = await main.Input.ReadAsync();
            main.Input.AdvanceTo(pending.Buffer.Start);
        }

        return await clientTask;
    }

    /// <summary>
    /// Passes main's asynchronous messages on to the client; stops at an ErrorResponse, left unread, and returns it as
    /// the exception that ends the session; stops at any other message (not asynchronous: it is no business of
    /// the idle wait), left unread too.
    /// </summary>
    private async ValueTask<BackendTerminatedException?> PassIdleMessagesAsync(NodeLink main, ReadResult result)
    {
        var buffer = result.Buffer;
        BackendTerminatedException? terminated = null;
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            var frame = buffer.Slice(0, header.TotalLength);
            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                var error = ErrorResponseMessage.Parse(frame.Slice(5).ToArray());
                terminated = new BackendTerminatedException(main, frame.ToArray(),
                    $"{error.Message} (SQLSTATE {error.SqlState})");
                break;
            }

            if (header.Type is not ((byte)BackendMessageType.NotificationResponse
                or (byte)BackendMessageType.NoticeResponse or (byte)BackendMessageType.ParameterStatus))
            {
                break;
            }

            FrameCopy.Copy(frame, _client.Output);
            buffer = buffer.Slice(header.TotalLength);
        }

        main.Input.AdvanceTo(buffer.Start, result.Buffer.End);
        if (_client.Output.UnflushedBytes > 0)
        {
            await _client.Output.FlushAsync();
        }

        return terminated;
    }

    // A read served by another node leaves main unread for the whole request. If main's backend was ended meanwhile
    // (pg_terminate_backend on the pid the client knows, which is main's), PostgreSQL would have failed the
    // client's request; through pgproxy the client got node 1's answer and never heard of it until a later write
    // (Npgsql's ConnectionTests: a pg_sleep in a transaction whose backend another connection terminates).
    // Looking at what main has already sent costs one non-blocking read.
    /// <summary>
    /// After a request <paramref name="answered"/> served on its own: when it was not main and main's pipe already
    /// holds an ErrorResponse (only a FATAL can come unasked), the session ends with it as for any terminated backend
    /// (or main's node is failed over at the next request when it is going away).
    /// </summary>
    public async ValueTask ThrowIfMainEndedMeanwhileAsync(NodeLink answered)
    {
        if (_nodes.MainOrNull is not { IsQuiet: true } main || main == answered || !main.Input.TryRead(out var result))
        {
            return;
        }

        if (!HoldsErrorFirst(result))
        {
            main.Input.AdvanceTo(result.Buffer.Start); // nothing read: notifications wait for the idle watch
            return;
        }

        if (await PassIdleMessagesAsync(main, result) is { } terminated
            && await _judgeTermination(terminated) is BackendTerminatedException ending)
        {
            throw ending;
        }
    }

    /// <summary>True when main's first whole message, after any asynchronous ones, is an ErrorResponse.</summary>
    private static bool HoldsErrorFirst(in ReadResult result)
    {
        var buffer = result.Buffer;
        while (FrameReader.TryReadHeader(buffer, out var header) && buffer.Length >= header.TotalLength)
        {
            if (header.Type == (byte)BackendMessageType.ErrorResponse)
            {
                return true;
            }

            if (header.Type is not ((byte)BackendMessageType.NotificationResponse
                or (byte)BackendMessageType.NoticeResponse or (byte)BackendMessageType.ParameterStatus))
            {
                return false;
            }

            buffer = buffer.Slice(header.TotalLength);
        }

        return false;
    }
}
