using System.Diagnostics;
using Pgproxy.TestUtilities.Fuzz;
using Pgproxy.TestUtilities.Scripted;
using F = Pgproxy.TestUtilities.Fuzz.RecordedSessions;

namespace Pgproxy.Core.Tests.Fuzz;

/// <summary>
/// Malformed inputs known by name (reliability.md §6 and what the fuzzer found), after a good startup, on one node
/// and in replication mode: each either ends the session with 08P01 at once, or is answered through
/// ReadyForQuery with the session left open — never XX000, never a hang, never a node degenerated.
/// </summary>
public sealed class MalformedInputTests
{
    public static TheoryData<string, byte[], Outcome> Inputs => new()
    {
        { "length 3", [(byte)'Q', 0, 0, 0, 3], Outcome.Violation },
        { "length 0", [(byte)'Q', 0, 0, 0, 0], Outcome.Violation },
        { "negative length", [(byte)'P', 0xFF, 0xFF, 0xFF, 0xFE], Outcome.Violation },
        { "1 GiB Query", [(byte)'Q', 0x40, 0, 0, 0, (byte)'S'], Outcome.Violation },
        { "1 GiB Sync", [(byte)'S', 0x3F, 0xFF, 0xFF, 0xFF], Outcome.Violation },
        { "unknown type", [(byte)'y', 0, 0, 0, 4], Outcome.Violation },
        { "password message after startup", [(byte)'p', 0, 0, 0, 8, (byte)'p', (byte)'w', (byte)'d', 0],
            Outcome.Violation },
        { "NUL inside a Query", Bytes(F.Typed('Q', "SELECT 1\0SELECT 2\0"u8.ToArray())), Outcome.Violation },
        { "Query without its NUL", Bytes(F.Typed('Q', "SELECT 1"u8.ToArray())), Outcome.Violation },
        { "empty Query body", [(byte)'Q', 0, 0, 0, 4], Outcome.Violation },
        { "invalid UTF-8 in a Query", Bytes(F.Typed('Q', [.. "SELECT '"u8, 0xC3, 0x28, 0xFF, .. "'\0"u8])),
            Outcome.Answered },
        { "Bind claiming 65535 parameters in a short body", Bytes(F.Parse("", "SELECT 1"),
            F.Typed('B', [0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 1]), F.Sync()), Outcome.ViolationWhenReplicated },
        { "Bind parameter length -2", Bytes(F.Parse("", "SELECT $1::text", 25),
            F.Typed('B', [0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0]), F.Sync()), Outcome.ViolationWhenReplicated },
        { "CopyData outside COPY", Bytes(F.CopyData("1\tone\n"), F.CopyDone(), F.Query("SELECT 1")),
            Outcome.Answered },
        { "Flush after Flush (hung replication mode)", Bytes(F.Parse("", "SELECT 1"), F.Flush(), F.Flush(),
            F.Bind("", "", []), F.Execute(""), F.Sync()), Outcome.Answered },
        { "Describe during COPY (closed and degenerated every node)", Bytes(F.Query("COPY fuzz_t FROM STDIN"),
            F.CopyData("1\tone\n"), F.Describe('S', "s1"), F.CopyFail("gave up"), F.Query("SELECT 1")),
            Outcome.Violation },
        { "Query during COPY, then a bad length (waited 5 s)", Bytes(F.Query("COPY fuzz_t FROM STDIN"),
            F.CopyData("1\tone\n"), F.Query("SELECT 1"), F.CopyData("2\ttwo\n"),
            new byte[] { (byte)'f', 0xFF, 0xFF, 0xFF, 0xFF }), Outcome.Violation },
        { "COPY broken off by a bad length", Bytes(F.Query("COPY fuzz_t FROM STDIN"), F.CopyData("1\tone\n"),
            new byte[] { (byte)'d', 0, 0, 0, 2 }), Outcome.Violation },
        { "a long Query with a NUL inside", Bytes(F.Typed('Q', [.. Enumerable.Repeat((byte)'x', 300), 0,
            .. "tail\0"u8])), Outcome.Violation },
    };

    public enum Outcome
    {
        /// <summary>ErrorResponse 08P01 as the last message, then the connection closes.</summary>
        Violation,

        /// <summary>Replies up to ReadyForQuery, and the session stays open.</summary>
        Answered,

        /// <summary>
        /// One node forwards the message untouched and PostgreSQL answers it; in replication mode pgproxy must read
        /// the message to route it (a Bind's statement and portal), so a malformed one is pgproxy's 08P01 and a close.
        /// </summary>
        ViolationWhenReplicated,
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public Task OneNode(string what, byte[] input, Outcome outcome) => RunAsync(1, what, input, outcome);

    [Theory]
    [MemberData(nameof(Inputs))]
    public Task Replication(string what, byte[] input, Outcome outcome) => RunAsync(2, what, input, outcome);

    private static async Task RunAsync(int nodes, string what, byte[] input, Outcome outcome)
    {
        if (outcome == Outcome.ViolationWhenReplicated)
        {
            outcome = nodes > 1 ? Outcome.Violation : Outcome.Answered;
        }

        await using var harness = new ProxyHarness(nodes: nodes);
        var (client, _) = await harness.ConnectAndStartAsync();
        await using var __ = client;
        var clock = Stopwatch.StartNew();

        await client.SendAsync(input);
        var replies = outcome == Outcome.Violation
            ? await client.ReadToEndAsync()
            : await client.ReadToReadyOrEndAsync();

        var types = string.Concat(replies.Select(m => m.Type));
        Assert.All(harness.Runtime.Nodes.Nodes, n => Assert.NotEqual(Core.Backends.BackendStatus.Down, n.Status));
        Assert.DoesNotContain(replies, m => m.Type == 'E' && m.SqlState == "XX000");
        if (outcome == Outcome.Violation)
        {
            // On one node PostgreSQL itself may say it first (then pgproxy adds that it lost the backend).
            Assert.True(replies.Any(m => m.Type == 'E' && m.SqlState == "08P01"), $"{what}: got '{types}'");
            await client.WaitForSessionEndAsync();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"{what}: closed after {clock.Elapsed}");
        }
        else
        {
            Assert.True(types.EndsWith('Z'), $"{what}: got '{types}'");
            await client.SendQueryAsync("SELECT 1");
            Assert.Equal("TDCZ", string.Concat((await client.ReadToReadyOrEndAsync()).Select(m => m.Type)));
        }
    }

    private static byte[] Bytes(params object[] parts) =>
        [.. parts.SelectMany(p => p is WireMessage m ? m.Bytes : (byte[])p)];
}
