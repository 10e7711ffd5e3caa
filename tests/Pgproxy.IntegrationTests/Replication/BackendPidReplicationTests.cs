using Pgproxy.IntegrationTests.Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

[Collection(ReplicationSuite.Name)]
public sealed class BackendPidReplicationTests(TwoNodes cluster) : BackendPidTestsBase(cluster)
{
    // Today main's backend ending under one session degenerates node 0 for everyone and the victim gets 40001.
    [PostgresFact(Skip = "issue 16 item 14: a session's terminated backend degenerates its node")]
    public Task TerminateBackend_OfAnotherSessionsProcessID_EndsThatSessionWith57P01() =>
        AssertTerminateEndsOnlyThatSessionAsync();

    [PostgresFact]
    public Task Notify_FromAnotherSession_CarriesTheNotifiersProcessID() =>
        AssertNotifyCarriesTheNotifiersProcessIdAsync();
}
