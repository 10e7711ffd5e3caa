using System.IO.Pipelines;
using Pgproxy.TestUtilities.Fuzz;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Fuzz;

/// <summary>
/// Runs one fuzz case over an in-memory connection: sends the case's pieces, optionally waits until the proxy has
/// gone quiet (so replies to what it forwarded are read back through the whole session), then ends the client's
/// side and requires the proxy to close the connection and end the session within <see cref="Deadline"/>, having
/// sent no internal error. Returns null when the case passes, else what went wrong.
/// </summary>
internal sealed class InMemoryFuzzRunner(ProxyHarness harness)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(300);

    public async Task<string?> RunAsync(FuzzCase fuzzCase)
    {
        var client = harness.Connect();
        await using var _ = client;
        var reply = new ReplyRecorder();
        var reading = reply.ReadToEndAsync(client.Transport.Input);
        try
        {
            foreach (var piece in fuzzCase.Pieces)
            {
                await client.Output.WriteAsync(piece).AsTask().WaitAsync(Deadline);
            }
        }
        catch (TimeoutException)
        {
            return "the proxy stopped reading: a write blocked for 5 s";
        }
        catch (InvalidOperationException) when (client.Transport.Peer.IsAborted)
        {
            // The proxy closed the connection before the case's last piece, as it may after a bad message: a real
            // client's write would fail the same way. What it answered until then is still checked below.
        }

        if (fuzzCase.WaitBeforeClosing)
        {
            await reply.WaitUntilQuietAsync(Quiet, MaxWait);
        }

        await client.Output.CompleteAsync();
        try
        {
            await reading.WaitAsync(Deadline);
            await client.Session.WaitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            return reading.IsCompleted
                ? "the connection closed but the session did not end within 5 s"
                : $"no close within 5 s of the client's end of stream ({reply.Count} bytes received)";
        }

        return FuzzOracle.FindInternalError(reply.Bytes);
    }

    /// <summary>Everything the proxy sends to the client, and when it last sent something.</summary>
    private sealed class ReplyRecorder
    {
        private readonly List<byte> _bytes = [];
        private long _lastActivity = Environment.TickCount64;

        public int Count
        {
            get
            {
                lock (_bytes)
                {
                    return _bytes.Count;
                }
            }
        }

        public byte[] Bytes
        {
            get
            {
                lock (_bytes)
                {
                    return [.. _bytes];
                }
            }
        }

        public async Task ReadToEndAsync(PipeReader input)
        {
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync();
                    lock (_bytes)
                    {
                        foreach (var segment in result.Buffer)
                        {
                            _bytes.AddRange(segment.Span);
                        }
                    }

                    Volatile.Write(ref _lastActivity, Environment.TickCount64);
                    input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // The proxy aborted the connection: closed, as far as the oracle cares.
            }
        }

        public async Task WaitUntilQuietAsync(TimeSpan quiet, TimeSpan max)
        {
            var start = Environment.TickCount64;
            Volatile.Write(ref _lastActivity, start);
            while (Environment.TickCount64 - Volatile.Read(ref _lastActivity) < quiet.TotalMilliseconds
                   && Environment.TickCount64 - start < max.TotalMilliseconds)
            {
                await Task.Delay(2);
            }
        }
    }
}
