using System.Buffers.Binary;
using System.Text;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>
/// The fuzzer's seed corpus: what well-behaved clients send, covering every phase a byte can arrive in — the
/// startup packet, SSL and cancel requests, simple and extended queries, transactions, COPY FROM STDIN (finished
/// and failed), FunctionCall and Flush. <paramref name="table"/> is a table with columns (id int, v text) that
/// writes and COPY go to; with a scripted backend any name does.
/// </summary>
internal sealed class RecordedSessions(string user, string database, string table)
{
    public IReadOnlyList<RecordedSession> All =>
    [
        new("simple query", [Startup(), Query("SELECT 1"), Query("SELECT 'two', 2"), Terminate()]),
        new("ssl then startup", [SslRequest(), Startup(), Query("SELECT 1"), Terminate()]),
        new("cancel request", [CancelRequest(4242, 171717)]),
        new("extended unnamed", [Startup(), Parse("", "SELECT $1::int", 23), Bind("", "", "7"), Describe('P', ""),
            Execute(""), Sync(), Terminate()]),
        new("extended named with parameters", [Startup(), Parse("s1", "SELECT $1::text, $2::int", 25, 23),
            Describe('S', "s1"), Bind("p1", "s1", "a", null), Execute("p1", 10), Close('P', "p1"), Sync(),
            Bind("", "s1", "b", "3"), Execute(""), Close('S', "s1"), Sync(), Terminate()]),
        new("transaction", [Startup(), Query("BEGIN"), Query($"INSERT INTO {table} VALUES (1, 'x')"),
            Query($"UPDATE {table} SET v = 'y' WHERE id = 1"), Query("COMMIT"), Terminate()]),
        new("extended write", [Startup(), Parse("", $"INSERT INTO {table} VALUES ($1, $2)", 23, 25),
            Bind("", "", "5", "five"), Execute(""), Sync(), Query("SELECT 1; SELECT 2"), Terminate()]),
        new("copy in", [Startup(), Query($"COPY {table} FROM STDIN"), CopyData("10\tten\n"), CopyData("11\televen\n"),
            CopyDone(), Query("SELECT 1"), Terminate()]),
        new("copy fail", [Startup(), Query($"COPY {table} FROM STDIN"), CopyData("12\ttwelve\n"),
            CopyFail("client gave up"), Query("SELECT 1"), Terminate()]),
        new("flush and function call", [Startup(), Parse("", "SELECT 1"), Flush(), Bind("", "", []), Execute(""),
            Flush(), Sync(), FunctionCall(1598), Query(""), Terminate()]),
        new("session state", [Startup(), Query("SET application_name = 'fuzz'"), Query("SHOW application_name"),
            Query("RESET ALL"), Terminate()]),
    ];

    public WireMessage Startup()
    {
        var body = new List<byte>();
        AddInt32(body, StartupPacket.ProtocolVersion30);
        foreach (var text in new[] { "user", user, "database", database, "application_name", "fuzz" })
        {
            AddCString(body, text);
        }

        body.Add(0);
        return Untyped(body);
    }

    public static WireMessage SslRequest() => Untyped(Int32s(StartupPacket.SslRequestCode));

    public static WireMessage CancelRequest(int processId, int secretKey) =>
        Untyped(Int32s(StartupPacket.CancelRequestCode, processId, secretKey));

    public static WireMessage Query(string sql) => Typed('Q', CString(sql));

    public static WireMessage Parse(string statement, string sql, params int[] parameterTypes)
    {
        var body = new List<byte>(CString(statement));
        AddCString(body, sql);
        AddInt16(body, parameterTypes.Length);
        foreach (var oid in parameterTypes)
        {
            AddInt32(body, oid);
        }

        return Typed('P', body);
    }

    /// <summary>A Bind with text parameters (null = SQL NULL, length -1) and text results.</summary>
    public static WireMessage Bind(string portal, string statement, params string?[] values)
    {
        var body = new List<byte>(CString(portal));
        AddCString(body, statement);
        AddInt16(body, 0); // parameter formats: all text
        AddInt16(body, values.Length);
        foreach (var value in values)
        {
            var bytes = value is null ? null : Encoding.UTF8.GetBytes(value);
            AddInt32(body, bytes?.Length ?? -1);
            body.AddRange(bytes ?? []);
        }

        AddInt16(body, 0); // result formats: all text
        return Typed('B', body);
    }

    public static WireMessage Describe(char what, string name) => Typed('D', [(byte)what, .. CString(name)]);

    public static WireMessage Execute(string portal, int maxRows = 0)
    {
        var body = new List<byte>(CString(portal));
        AddInt32(body, maxRows);
        return Typed('E', body);
    }

    public static WireMessage Close(char what, string name) => Typed('C', [(byte)what, .. CString(name)]);

    public static WireMessage Sync() => Typed('S', []);

    public static WireMessage Flush() => Typed('H', []);

    public static WireMessage Terminate() => Typed('X', []);

    public static WireMessage CopyData(string text) => Typed('d', Encoding.UTF8.GetBytes(text));

    public static WireMessage CopyDone() => Typed('c', []);

    public static WireMessage CopyFail(string reason) => Typed('f', CString(reason));

    /// <summary>A FunctionCall of <paramref name="oid"/> (1598 = random()) with no arguments, text result.</summary>
    public static WireMessage FunctionCall(int oid)
    {
        var body = new List<byte>();
        AddInt32(body, oid);
        AddInt16(body, 0); // argument formats
        AddInt16(body, 0); // arguments
        AddInt16(body, 0); // result format: text
        return Typed('F', body);
    }

    public static WireMessage Typed(char type, IReadOnlyCollection<byte> body)
    {
        var bytes = new byte[5 + body.Count];
        bytes[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), 4 + body.Count);
        body.ToArray().CopyTo(bytes, 5);
        return new WireMessage(bytes, IsStartup: false);
    }

    private static WireMessage Untyped(IReadOnlyCollection<byte> body)
    {
        var bytes = new byte[4 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length);
        body.ToArray().CopyTo(bytes, 4);
        return new WireMessage(bytes, IsStartup: true);
    }

    private static byte[] CString(string text) => [.. Encoding.UTF8.GetBytes(text), 0];

    private static void AddCString(List<byte> body, string text) => body.AddRange(CString(text));

    private static byte[] Int32s(params int[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    private static void AddInt32(List<byte> body, int value) => body.AddRange(Int32s(value));

    private static void AddInt16(List<byte> body, int value) => body.AddRange([(byte)(value >> 8), (byte)value]);
}
