using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Fuzz;

/// <summary>The TCP fuzzer in front of one PostgreSQL node (see <see cref="TcpFuzz"/>).</summary>
[Collection(LimitsSuite.Name)]
public sealed class TcpFuzzOneNodeTests(OneNode cluster)
{
    [PostgresFact]
    public Task MutatedSessions_AnsweredOrClosedWithoutInternalErrors_NpgsqlClientUnaffected() =>
        TcpFuzz.RunAsync(cluster, ciCases: 300);
}
