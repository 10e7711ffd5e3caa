using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>
/// Connections that never authenticate, from one source address on the loopback network (Linux routes all of
/// 127/8 to lo, so each flood can look like a host of its own): each either stays silent or sends its
/// StartupMessage one byte at a time (a slowloris), and is opened again a little after pgproxy closes it, as the
/// attack in issue 11 re-opened its connections as they timed out. Records what pgproxy said before each close.
/// </summary>
internal sealed class PreAuthFlood : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly IPAddress _from;
    private readonly int _port;
    private readonly bool _slowloris;
    private int _opened;

    private PreAuthFlood(IPAddress from, int port, bool slowloris)
    {
        _from = from;
        _port = port;
        _slowloris = slowloris;
    }

    /// <summary>How long a closed connection waits before it is opened again.</summary>
    public static TimeSpan ReopenDelay { get; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Connections opened so far.</summary>
    public int Opened => Volatile.Read(ref _opened);

    /// <summary>What each connection pgproxy closed had received, as text (ErrorResponse fields are readable).</summary>
    public ConcurrentQueue<string> Closings { get; } = new();

    /// <summary>Starts <paramref name="connections"/> connections from <paramref name="from"/>.</summary>
    public static PreAuthFlood Start(IPAddress from, int port, int connections, bool slowloris)
    {
        var flood = new PreAuthFlood(from, port, slowloris);
        for (var i = 0; i < connections; i++)
        {
            flood._loops.Add(Task.Run(flood.RunAsync));
        }

        return flood;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var tcp = new TcpClient(new IPEndPoint(_from, 0));
                await tcp.ConnectAsync(IPAddress.Loopback, _port, stop);
                Interlocked.Increment(ref _opened);
                var stream = tcp.GetStream();
                var reading = ReadUntilClosedAsync(stream, stop);
                if (_slowloris)
                {
                    await DripStartupAsync(stream, reading, stop);
                }

                Closings.Enqueue(await reading);
                await Task.Delay(ReopenDelay, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // Reset while writing a byte or connecting: open the next one, as an attacker would.
            }
        }
    }

    /// <summary>One byte of the StartupMessage every 200 ms until pgproxy closes the connection.</summary>
    private static async Task DripStartupAsync(NetworkStream stream, Task reading, CancellationToken stop)
    {
        var startup = RawPgClient.StartupMessage();
        for (var i = 0; i < startup.Length - 1 && !reading.IsCompleted; i++)
        {
            await stream.WriteAsync(startup.AsMemory(i, 1), stop);
            await Task.WhenAny(reading, Task.Delay(200, stop));
        }

        // Never the last byte: the packet must stay unfinished.
    }

    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream, CancellationToken stop)
    {
        var received = new MemoryStream();
        var buffer = new byte[512];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, stop)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset also ends the connection; keep what came before it.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
