using System.Text;
using Pgproxy.TestUtilities.Scripted;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// A large object whose OID the server picks gets main's OID on every node (issue 16 item 5, issue 17 item 7):
/// main runs the client's call, its answer carries the OID, and the others get the call with that OID made
/// explicit — SQL (<c>SELECT lo_creat(-1)</c>…) and the fast path libpq and psql's <c>\lo_import</c> use
/// (FunctionCall lo_creat 957, lo_import 764…). Other shapes are refused under nondeterministic_write = error.
/// Each node here answers an allocating call with an OID of its own, as PostgreSQL would.
/// </summary>
public sealed class LargeObjectOidTests
{
    private const string MainsOid = "24680";

    [Theory]
    [InlineData("SELECT lo_creat(-1)", "SELECT lo_create(24680) AS lo_creat")]
    [InlineData("SELECT lo_create(0) AS id", "SELECT lo_create(24680) AS id")]
    [InlineData("SELECT * FROM lo_import('/tmp/lo.bin')", "SELECT * FROM lo_import('/tmp/lo.bin', 24680)")]
    [InlineData("SELECT lo_from_bytea(0, '\\xdeadbeef')", "SELECT lo_from_bytea(24680, '\\xdeadbeef')")]
    public async Task Simple_Autocommit_OthersGetMainsOid(string sql, string others)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(sql, NodeReply.Values(MainsOid));
        harness.Node(1).On(sql, NodeReply.Values("30000"));
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Query(sql));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "Z I"], ClientReplies.Render(replies));
        Assert.Equal(MainsOid, FirstValue(replies[1]));
        Assert.Equal(["Q BEGIN", "Q " + sql, "Q COMMIT"], harness.SentTo(0).Where(s => !s.StartsWith("Q SELECT pg_", StringComparison.Ordinal)));
        Assert.Contains("Q " + others, harness.SentTo(1));
        Assert.DoesNotContain("Q " + sql, harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_InTransaction_OthersGetMainsOid()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SELECT lo_creat(-1)", NodeReply.Values(MainsOid));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        Assert.Equal(["T", "D", "C SELECT 1", "Z T"], await client.QueryAsync("SELECT lo_creat(-1)"));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Contains("Q SELECT lo_create(24680) AS lo_creat", harness.SentTo(1));
        Assert.DoesNotContain("Q SELECT lo_creat(-1)", harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_MainFails_OthersRunTheClientsCall()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("SELECT lo_create(0)", NodeReply.Error("42501"));
        harness.Node(1).On("SELECT lo_create(0)", NodeReply.Error("42501"));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["E 42501", "Z I"], await client.QueryAsync("SELECT lo_create(0)"));
        Assert.Equal(["T", "D", "C SELECT 1", "Z I"], await client.QueryAsync("SELECT 1")); // nothing left armed
    }

    [Theory]
    [InlineData("INSERT INTO lotest_stash_values (loid) SELECT lo_creat(42)")]
    [InlineData("SELECT lo_from_bytea(0, lo_get(loid)) AS newloid FROM lotest_stash_values")]
    [InlineData("SELECT lo_creat(-1), lo_creat(-1)")]
    [InlineData("SELECT lo_create(id) FROM t")]
    public async Task Simple_OtherShapes_AreRefused_NoNodeRunsThem(string sql)
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Query(sql));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["E 0A000", "Z I"], ClientReplies.Render(replies));
        Assert.Contains("the OID would differ between nodes", replies[0].ErrorText, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Sent, f => f.Text == "Q " + sql);
        Assert.Empty(harness.SentTo(1));
    }

    [Fact]
    public async Task Simple_OtherShapes_UnderAllow_RunUnchanged()
    {
        const string Insert = "INSERT INTO lotest_stash_values (loid) SELECT lo_creat(42)";
        await using var harness = new ReplicationHarness(configure: o => o with { NondeterministicWrite = "allow" });
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["C INSERT 0 1", "Z I"], await client.QueryAsync(Insert));

        Assert.Contains("Q " + Insert, harness.SentTo(0));
        Assert.Contains("Q " + Insert, harness.SentTo(1));
    }

    [Theory]
    [InlineData("SELECT lo_create(4242)")]
    [InlineData("SELECT lo_unlink(4242)")]
    [InlineData("SELECT lo_put(4242, 0, '\\x00')")]
    public async Task Simple_GivenOid_RunsUnchanged(string sql)
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["T", "D", "C SELECT 1", "Z I"], await client.QueryAsync(sql));

        Assert.Contains("Q " + sql, harness.SentTo(0));
        Assert.Contains("Q " + sql, harness.SentTo(1));
    }

    [Theory]
    // libpq's lo_creat(conn, INV_READ | INV_WRITE): binary int4 argument, binary result.
    [InlineData(957u, new short[] { 1 }, "b393216", 1, "F 957(b393216)", "F 715(b24680)")]
    // lo_create(conn, 0), text argument and result.
    [InlineData(715u, new short[] { 0 }, "t0", 0, "F 715(t0)", "F 715(b24680)")]
    // libpq's lo_import(conn, path): lo_import(path) → lo_import(path, main's OID).
    [InlineData(764u, new short[] { 0 }, "t/tmp/lo.bin", 1, "F 764(t/tmp/lo.bin)", "F 767(t/tmp/lo.bin,b24680)")]
    // lo_import_with_oid(conn, path, 0).
    [InlineData(767u, new short[] { 0, 1 }, "t/tmp/lo.bin|b0", 1, "F 767(t/tmp/lo.bin,b0)",
        "F 767(t/tmp/lo.bin,b24680)")]
    // lo_from_bytea(0, data): the OID in binary, the data in text.
    [InlineData(3457u, new short[] { 1, 0 }, "b0|t\\x0102", 1, "F 3457(b0,t\\x0102)", "F 3457(b24680,t\\x0102)")]
    public async Task FastPath_OthersGetMainsOid(uint function, short[] formats, string args, short resultFormat,
        string mains, string others)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(mains, NodeReply.Values(MainsOid));
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.FunctionCall(function, formats, [.. args.Split('|').Select(Arg)],
            resultFormat));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["V", "Z I"], ClientReplies.Render(replies));
        var value = replies[0].Body[4..].ToArray();
        Assert.Equal(MainsOid, resultFormat == 1
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(value).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : Encoding.UTF8.GetString(value));
        Assert.Equal([mains], harness.SentTo(0).Where(s => s.StartsWith('F')));
        Assert.Equal([others], harness.SentTo(1).Where(s => s.StartsWith('F')));
    }

    [Fact]
    public async Task FastPath_InTransaction_ThenOpenWriteClose_SameOidEverywhere()
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On("F 957(b393216)", NodeReply.Values(MainsOid));
        await using var client = await harness.StartClientAsync();

        await client.QueryAsync("BEGIN");
        await client.ExchangeAsync(ClientFrames.FunctionCall(957, [1], [ClientFrames.Binary(0x60000)], 1));
        // lo_open(main's OID, INV_WRITE) as libpq sends it: the OID is given, every node gets it as it is.
        Assert.Equal(["V", "Z T"], await client.ExchangeAsync(
            ClientFrames.FunctionCall(952, [1, 1], [ClientFrames.Binary(24680), ClientFrames.Binary(0x20000)], 1)));
        Assert.Equal(["C COMMIT", "Z I"], await client.QueryAsync("COMMIT"));

        Assert.Equal(["F 957(b393216)", "F 952(b24680,b131072)"], harness.SentTo(0).Where(s => s.StartsWith('F')));
        Assert.Equal(["F 715(b24680)", "F 952(b24680,b131072)"], harness.SentTo(1).Where(s => s.StartsWith('F')));
    }

    [Fact]
    public async Task FastPath_GivenOid_RunsUnchanged()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.ExchangeAsync(ClientFrames.FunctionCall(715, [1], [ClientFrames.Binary(4242)], 1));

        Assert.Equal(["F 715(b4242)"], harness.SentTo(1).Where(s => s.StartsWith('F')));
    }

    [Theory]
    [InlineData((short)1)] // Npgsql: an int4 parameter in binary
    [InlineData((short)0)]
    public async Task Extended_OidParameterZero_OthersGetMainsOidInTheirBind(short format)
    {
        const string Create = "SELECT * FROM lo_create($1)";
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(Create, NodeReply.Values(MainsOid));
        await using var client = await harness.StartClientAsync();
        var zero = format == 1 ? ClientFrames.Binary(0) : "0"u8.ToArray();

        byte[] group = [.. ClientFrames.Parse("", Create), .. ClientFrames.Bind("", "", [format], [zero]),
            .. ClientFrames.Describe('P'), .. ClientFrames.Execute(), .. ClientFrames.Sync()];
        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "Z I"], await client.ExchangeAsync(group));

        Assert.Equal(format == 1 ? "b0" : "t0", BoundValue(harness, 0));
        Assert.Equal(format == 1 ? "b24680" : "t24680", BoundValue(harness, 1));
    }

    [Fact]
    public async Task Extended_GivenOidParameter_RunsUnchanged()
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        byte[] group = [.. ClientFrames.Parse("", "SELECT * FROM lo_create($1)"),
            .. ClientFrames.Bind("", "", [1], [ClientFrames.Binary(4242)]), .. ClientFrames.Execute(),
            .. ClientFrames.Sync()];
        await client.ExchangeAsync(group);

        Assert.Equal("b4242", BoundValue(harness, 1));
    }

    [Theory]
    [InlineData("SELECT lo_creat(-1)", "SELECT lo_create(24680) AS lo_creat")]
    [InlineData("SELECT lo_create(0) AS o", "SELECT lo_create(24680) AS o")]
    public async Task Extended_OidLeftToTheServerInTheText_OthersParseItWithMainsOid(string sql, string others)
    {
        await using var harness = new ReplicationHarness();
        harness.Node(0).On(sql, NodeReply.Values(MainsOid));
        await using var client = await harness.StartClientAsync();

        Assert.Equal(["1", "2", "T", "D", "C SELECT 1", "Z I"], await client.ExchangeAsync(ClientFrames.Group(sql)));

        Assert.Contains("P :" + sql, harness.SentTo(0));
        Assert.Contains("P :" + others, harness.SentTo(1));
        Assert.DoesNotContain("P :" + sql, harness.SentTo(1));
    }

    [Theory]
    [InlineData("INSERT INTO lotest_stash_values (loid) SELECT lo_creat(42)")]
    [InlineData("SELECT lo_creat(-1)|SELECT lo_create(0)")] // two in one group
    public async Task Extended_OtherShapes_AreRefused(string statements)
    {
        await using var harness = new ReplicationHarness();
        await using var client = await harness.StartClientAsync();

        await client.SendAsync(ClientFrames.Group(statements.Split('|')));
        var replies = await client.ReadUntilReadyForQueryAsync();

        Assert.Equal(["E 0A000", "Z I"], ClientReplies.Render(replies));
        Assert.Contains("the OID would differ between nodes", replies[0].ErrorText, StringComparison.Ordinal);
        Assert.Empty(harness.SentTo(1));
    }

    /// <summary>The one parameter of the last Bind node <paramref name="nodeId"/> got, as <c>b…</c> or <c>t…</c>.</summary>
    private static string BoundValue(ReplicationHarness harness, int nodeId)
    {
        var bind = harness.Sent.Last(f => f.NodeId == nodeId && f.Type == 'B').Frame.AsSpan(5);
        var at = bind.IndexOf((byte)0) + 1;
        at += bind[at..].IndexOf((byte)0) + 1;
        var binary = bind[at + 3] == 1;
        at += 2 + 2 + 2;
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bind[at..]);
        var value = bind.Slice(at + 4, length);
        return binary
            ? "b" + System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(value)
            : "t" + Encoding.UTF8.GetString(value);
    }

    private static byte[] Arg(string arg) => arg[0] == 'b'
        ? ClientFrames.Binary(uint.Parse(arg[1..], System.Globalization.CultureInfo.InvariantCulture))
        : Encoding.UTF8.GetBytes(arg[1..]);

    private static string FirstValue(BackendMessage dataRow) =>
        Encoding.UTF8.GetString(dataRow.Body[6..(6 + dataRow.Int32At(2))]);
}
