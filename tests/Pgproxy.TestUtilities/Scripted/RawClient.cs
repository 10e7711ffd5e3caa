using System.Buffers;
using System.IO.Pipelines;
using Pgproxy.Protocol.Framing;
using Pgproxy.Protocol.Writing;
using Xunit;

namespace Pgproxy.TestUtilities.Scripted;

/// <summary>
/// A bare protocol client on one end of an <see cref="InMemoryTransport"/>: it writes raw bytes or messages and
/// reads whole backend messages. Every read gives up after <see cref="Timeout"/> so a broken session fails the
/// test instead of hanging it.
/// </summary>
internal sealed class RawClient(InMemoryTransport transport, Task session) : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public InMemoryTransport Transport { get; } = transport;

    /// <summary>The proxy's session task; completes when the session has ended and torn down.</summary>
    public Task Session { get; } = session;

    public PipeWriter Output => Transport.Output;

    public async Task SendStartupAsync(string user, string database, params (string Name, string Value)[] parameters)
    {
        var pairs = new List<KeyValuePair<string, string>> { new("user", user), new("database", database) };
        pairs.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        FrontendMessageWriter.WriteStartupMessage(Output, StartupPacket.ProtocolVersion30, pairs);
        await Output.FlushAsync();
    }

    /// <summary>A StartupMessage of exactly these pairs, bytes as given (user and database included by the caller).</summary>
    public async Task SendStartupParametersAsync(IEnumerable<StartupParameter> pairs)
    {
        FrontendMessageWriter.WriteStartupParameters(Output, StartupPacket.ProtocolVersion30, pairs);
        await Output.FlushAsync();
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await Output.WriteAsync(bytes);
    }

    public Task SendQueryAsync(string sql) => SendAsync(Query(sql));

    public Task SendTerminateAsync() => SendAsync(PregeneratedMessages.Terminate);

    /// <summary>The bytes of a simple Query message.</summary>
    public static byte[] Query(string sql)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrontendMessageWriter.WriteQuery(writer, sql);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>The next whole message, or null when the proxy closed the connection.</summary>
    public async Task<BackendMessage?> ReadMessageAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var frame = await PipeFrames.ReadFrameAsync(Transport.Input, timeout.Token);
            return frame is null ? null : new BackendMessage(frame);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Messages up to and including the next ReadyForQuery; fails if the connection ends first.</summary>
    public async Task<IReadOnlyList<BackendMessage>> ReadUntilReadyForQueryAsync()
    {
        var messages = new List<BackendMessage>();
        while (true)
        {
            var message = await ReadMessageAsync();
            if (message is null)
            {
                Assert.Fail($"connection closed before ReadyForQuery after [{string.Join(", ", messages)}]");
                return messages;
            }

            messages.Add(message);
            if (message.Type == 'Z')
            {
                return messages;
            }
        }
    }

    /// <summary>Messages up to and including the next ReadyForQuery, or up to the close (no assertion).</summary>
    public async Task<IReadOnlyList<BackendMessage>> ReadToReadyOrEndAsync()
    {
        var messages = new List<BackendMessage>();
        while (await ReadMessageAsync() is { } message)
        {
            messages.Add(message);
            if (message.Type == 'Z')
            {
                break;
            }
        }

        return messages;
    }

    /// <summary>Every message until the proxy closes the connection.</summary>
    public async Task<IReadOnlyList<BackendMessage>> ReadToEndAsync()
    {
        var messages = new List<BackendMessage>();
        while (await ReadMessageAsync() is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Every byte until the proxy closes the connection, without framing.</summary>
    public async Task<byte[]> ReadAllBytesAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var bytes = new List<byte>();
        var input = Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                foreach (var segment in result.Buffer)
                {
                    bytes.AddRange(segment.Span);
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return [.. bytes];
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return [.. bytes];
        }
    }

    /// <summary>Waits for the proxy's session to finish its teardown.</summary>
    public Task WaitForSessionEndAsync() => Session.WaitAsync(Timeout);

    public ValueTask DisposeAsync() => Transport.DisposeAsync();
}
