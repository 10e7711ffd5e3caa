using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>A bare-socket PostgreSQL client for sending what no driver would send.</summary>
internal sealed class RawPgClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawPgClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawPgClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(PostgresInstance.Host, port);
        return new RawPgClient(tcp);
    }

    /// <summary>A protocol 3.0 StartupMessage for user postgres (or <paramref name="user"/>), database postgres.</summary>
    public static byte[] StartupMessage(string user = PostgresInstance.User)
    {
        var body = new List<byte>();
        body.AddRange([0, 3, 0, 0]);
        foreach (var text in new[] { "user", user, "database", "postgres" })
        {
            body.AddRange(Encoding.UTF8.GetBytes(text));
            body.Add(0);
        }

        body.Add(0);
        return WithLength(body.ToArray());
    }

    /// <summary>An SSLRequest (length 8, code 80877103).</summary>
    public static byte[] SslRequest() => WithLength([0x04, 0xD2, 0x16, 0x2F]);

    /// <summary>A simple Query message.</summary>
    public static byte[] Query(string sql)
    {
        var text = Encoding.UTF8.GetBytes(sql + "\0");
        var frame = new byte[5 + text.Length];
        frame[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + text.Length);
        text.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>A Parse of <paramref name="sql"/> as <paramref name="statement"/>, no parameter types.</summary>
    public static byte[] Parse(string sql, string statement = "") =>
        Message('P', [.. CString(statement), .. CString(sql), 0, 0]);

    /// <summary>A Bind of <paramref name="statement"/> to <paramref name="portal"/>: no parameters, text results.
    /// </summary>
    public static byte[] Bind(string statement = "", string portal = "") =>
        Message('B', [.. CString(portal), .. CString(statement), 0, 0, 0, 0, 0, 0]);

    /// <summary>A Bind of <paramref name="statement"/> to the unnamed portal with text parameters, text results.</summary>
    public static byte[] BindText(string statement, params string[] parameters)
    {
        var body = new List<byte>([.. CString(""), .. CString(statement), 0, 0, (byte)(parameters.Length >> 8),
            (byte)parameters.Length]);
        foreach (var parameter in parameters)
        {
            var text = Encoding.UTF8.GetBytes(parameter);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, text.Length);
            body.AddRange(length);
            body.AddRange(text);
        }

        body.AddRange([0, 0]);
        return Message('B', [.. body]);
    }

    /// <summary>Parse, Bind and Execute of <paramref name="sql"/> unnamed: one statement of a pipeline, no Sync.</summary>
    public static byte[] Step(string sql) => [.. Parse(sql), .. Bind(), .. Execute()];

    /// <summary>A Close of a portal ('P') or a statement ('S').</summary>
    public static byte[] Close(char what, string name) => Message('C', [(byte)what, .. CString(name)]);

    /// <summary>A Describe of a portal ('P') or a statement ('S').</summary>
    public static byte[] Describe(char what = 'P', string name = "") => Message('D', [(byte)what, .. CString(name)]);

    /// <summary>An Execute of <paramref name="portal"/> with no row limit.</summary>
    public static byte[] Execute(string portal = "") => Message('E', [.. CString(portal), 0, 0, 0, 0]);

    public static byte[] Sync() => Message('S', []);

    public static byte[] Flush() => Message('H', []);

    public static byte[] CopyData(string text) => Message('d', Encoding.UTF8.GetBytes(text));

    public static byte[] CopyDone() => Message('c', []);

    public static byte[] CopyFail(string reason) => Message('f', CString(reason));

    /// <summary>Several messages in one write, as a pipelining driver sends them.</summary>
    public Task SendAsync(params byte[][] messages) => SendAsync(messages.SelectMany(m => m).ToArray());

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Reads one byte (the answer to an SSLRequest).</summary>
    public async Task<int> ReadByteAsync()
    {
        var one = new byte[1];
        return await ReadExactlyOrEofAsync(one) ? one[0] : -1;
    }

    /// <summary>Reads one backend message; null at end of stream.</summary>
    public async Task<(char Type, byte[] Body)?> ReadMessageAsync()
    {
        var header = new byte[5];
        if (!await ReadExactlyOrEofAsync(header))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        var body = new byte[length - 4];
        if (!await ReadExactlyOrEofAsync(body))
        {
            return null;
        }

        return ((char)header[0], body);
    }

    /// <summary>Sends a StartupMessage and reads up to the first ReadyForQuery; fails on anything else.</summary>
    public async Task StartupAsync()
    {
        await SendAsync(StartupMessage());
        await ReadUntilReadyAsync();
    }

    /// <summary>Runs one Query and returns its answer; an ErrorResponse throws (see <see cref="ReadUntilReadyAsync"/>).</summary>
    public async Task<List<(char Type, byte[] Body)>> QueryAsync(string sql)
    {
        await SendAsync(Query(sql));
        return await ReadUntilReadyAsync();
    }

    public async Task<List<(char Type, byte[] Body)>> ReadUntilReadyAsync()
    {
        var messages = new List<(char, byte[])>();
        while (await ReadMessageAsync() is { } message)
        {
            messages.Add(message);
            if (message.Type == 'E')
            {
                throw new InvalidOperationException("ErrorResponse: " + ErrorField(message.Body, 'M'));
            }

            if (message.Type == 'Z')
            {
                return messages;
            }
        }

        throw new InvalidOperationException("connection closed before ReadyForQuery");
    }

    /// <summary>
    /// Reads messages up to and including the first one whose type is in <paramref name="stops"/>; unlike
    /// <see cref="ReadUntilReadyAsync"/> an ErrorResponse is returned, not thrown. A hang fails with a timeout.
    /// </summary>
    public async Task<List<(char Type, byte[] Body)>> ReadUntilAsync(params char[] stops)
    {
        var messages = new List<(char, byte[])>();
        while (await ReadMessageAsync() is { } message)
        {
            messages.Add(message);
            if (stops.Contains(message.Type))
            {
                return messages;
            }
        }

        throw new InvalidOperationException("connection closed before " + string.Join("/", stops));
    }

    /// <summary>The message types of <paramref name="messages"/> as a string ("12GCZ"), notices left out.</summary>
    public static string Types(IEnumerable<(char Type, byte[] Body)> messages) =>
        new([.. messages.Select(m => m.Type).Where(t => t != 'N')]);

    /// <summary>Everything the server sends until it closes the connection (fails if it stays open).</summary>
    public async Task<List<(char Type, byte[] Body)>> ReadToEndAsync()
    {
        var messages = new List<(char, byte[])>();
        while (await ReadMessageAsync() is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>A field of an ErrorResponse or NoticeResponse body ('C' = SQLSTATE, 'M' = message).</summary>
    public static string? ErrorField(byte[] body, char code)
    {
        var i = 0;
        while (i < body.Length && body[i] != 0)
        {
            var field = (char)body[i++];
            var end = Array.IndexOf(body, (byte)0, i);
            var value = Encoding.UTF8.GetString(body, i, end - i);
            if (field == code)
            {
                return value;
            }

            i = end + 1;
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private static byte[] Message(char type, byte[] body)
    {
        var frame = new byte[5 + body.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] CString(string text) => [.. Encoding.UTF8.GetBytes(text), 0];

    private static byte[] WithLength(byte[] body)
    {
        var packet = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        body.CopyTo(packet, 4);
        return packet;
    }

    private async Task<bool> ReadExactlyOrEofAsync(byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var n = await _stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    return false;
                }

                read += n;
            }
        }
        catch (IOException) when (read == 0)
        {
            return false; // reset by the peer: closed as far as the test cares
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing from the server within {ReadTimeout.TotalSeconds} s");
        }

        return true;
    }
}
