using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// An autocommit write whose function runs what cannot run in a transaction block (the regression suite's
/// <c>subscription</c>: <c>ALTER SUBSCRIPTION … refresh</c>; here VACUUM) gets PostgreSQL's "cannot be executed from
/// a function", as directly, not the "cannot run inside a transaction block" of pgproxy's internal transaction
/// (issue 16); what follows runs on both nodes.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class OutsideBlockRetryTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string Script = """
        CREATE FUNCTION vf() RETURNS void AS $$ VACUUM $$ LANGUAGE sql;
        SELECT vf();
        CREATE TABLE t (a int);
        INSERT INTO t VALUES (1);
        SELECT vf();
        INSERT INTO t VALUES (2);
        SELECT a FROM t ORDER BY a;
        """;

    [PostgresFact]
    public async Task A_function_that_cannot_run_in_a_block_fails_as_it_does_directly() =>
        await AssertPsqlAsDirectAsync(Script, async database =>
        {
            foreach (var node in Nodes)
            {
                Assert.Equal("1,2", await node.QueryAsync("SELECT string_agg(a::text, ',' ORDER BY a) FROM t", database));
            }
        });
}
