using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Fuzz;

/// <summary>The TCP fuzzer in front of two PostgreSQL nodes in native replication mode (see <see cref="TcpFuzz"/>).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class TcpFuzzReplicationTests(TwoNodes cluster)
{
    // A session once outlived its client here: after an error answered a Flush-ended group, the session sent the
    // client's next messages to a node that skipped them (as PostgreSQL does up to a Sync) and waited for answers,
    // or reset a link left inside that pipeline. Both fixed (GroupRunner.SkipToSyncAfterError,
    // ReplicationSession.IsBetweenRequests; scripted SkipToSyncTests).
    [PostgresFact]
    public Task MutatedSessions_AnsweredOrClosedWithoutInternalErrors_NpgsqlClientUnaffected() =>
        TcpFuzz.RunAsync(cluster, ciCases: 300);
}
