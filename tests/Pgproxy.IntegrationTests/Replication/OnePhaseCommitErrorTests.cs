using Pgproxy.Core.Config;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// With <c>replication_commit = one_phase</c> an autocommit statement whose deferred foreign key fails at its
/// implicit commit fails at main's COMMIT (no node prepares first): the client must still get what PostgreSQL sends,
/// the statement's result and then the error, and no node keeps the row. The two-phase twin is in
/// <see cref="TwoPhaseCommitTests"/>; this is the one-phase commit path's own (issue 17's deferred-FK tests).
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class OnePhaseCommitErrorTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    protected override ProxyOptions Configure(ProxyOptions options) => options with { ReplicationCommit = "one_phase" };

    [PostgresFact]
    public async Task A_deferred_foreign_key_failing_at_an_implicit_one_phase_commit_follows_the_result()
    {
        var parent = await CreateReplicatedTableAsync("opcfk_p", "id int primary key");
        var child = await CreateReplicatedTableAsync("opcfk_c",
            $"pid int REFERENCES {parent}(id) DEFERRABLE INITIALLY DEFERRED");
        await ImplicitCommitErrorAnswers.AssertAsDirectAsync(Node.Port, Proxy.Port,
            $"INSERT INTO {child} VALUES (1) RETURNING pid");
        Assert.Equal(0, await AssertNodesIdenticalAsync(child, "pid"));
        await AssertNothingPreparedAsync();
    }
}
