using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class BackendPidTests(OneNode cluster) : BackendPidTestsBase(cluster)
{
    [PostgresFact]
    public Task TerminateBackend_OfAnotherSessionsProcessID_EndsThatSessionWith57P01() =>
        AssertTerminateEndsOnlyThatSessionAsync();

    [PostgresFact]
    public Task Notify_FromAnotherSession_CarriesTheNotifiersProcessID() =>
        AssertNotifyCarriesTheNotifiersProcessIdAsync();
}
