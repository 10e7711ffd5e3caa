using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A nondeterministic write that PostgreSQL rejects itself gets PostgreSQL's error, not pgproxy's refusal (issue 16
/// item 15: the regression suite's <c>window</c> and <c>create_procedure</c>): what psql prints through two nodes is
/// what it prints directly, inside transaction blocks too, and the nodes hold the same rows.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class RejectedBeforeRefusalTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    private const string Script = """
        CREATE TABLE w (a int);
        INSERT INTO w VALUES (1), (2);
        DELETE FROM w WHERE (rank() OVER (ORDER BY random())) > 10;
        DELETE FROM w RETURNING rank() OVER (ORDER BY random());
        CALL random();
        BEGIN;
        INSERT INTO w VALUES (3);
        CALL random();
        SELECT 1;
        ROLLBACK;
        BEGIN;
        INSERT INTO w VALUES (4);
        SAVEPOINT s;
        DELETE FROM w WHERE (rank() OVER (ORDER BY random())) > 10;
        ROLLBACK TO s;
        INSERT INTO w VALUES (5);
        COMMIT;
        SELECT a FROM w ORDER BY a;
        """;

    [PostgresFact]
    public async Task PostgreSQLs_own_error_reaches_the_client_as_it_does_directly() =>
        await AssertPsqlAsDirectAsync(Script, async database =>
        {
            // A write PostgreSQL accepts is still refused.
            var refused = await PgTools.PsqlAsync(Proxy.Port, "-d", database, "-c", "UPDATE w SET a = random()");
            Assert.Contains("pgproxy refuses a write calling random()", refused.StdErr, StringComparison.Ordinal);

            foreach (var node in Nodes)
            {
                Assert.Equal("1,2,4,5",
                    await node.QueryAsync("SELECT string_agg(a::text, ',' ORDER BY a) FROM w", database));
            }
        });
}
