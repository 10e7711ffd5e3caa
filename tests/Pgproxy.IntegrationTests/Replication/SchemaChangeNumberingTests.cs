using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A schema change whose nodes drew OIDs apart while it ran (autovacuum's ANALYZE of a catalog TOASTs its
/// statistics under OIDs of the shared counter, on one node and at its own moment) is rolled back everywhere and runs
/// again, so its objects get the same OIDs on every node. The foreign draw is made certain here: an event trigger on
/// node 1 alone draws an OID at the start of each of the first <c>n</c> schema changes there, counted by a sequence
/// (which a rollback does not undo). Each node's pg_type is read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class SchemaChangeNumberingTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_schema_change_numbered_apart_runs_again_and_gets_the_same_oids(bool simpleProtocol)
    {
        var type = NodeSql.UniqueTable("itest_renumber");
        await using var draws = await ForeignDrawsAsync(type, count: 1);
        var ranAgain = Proxy.Runtime.CatalogWrites.RanAgain;
        await CreateTypeAsync(type, simpleProtocol);

        Assert.Equal(await OidsAsync(Nodes[0], type), await OidsAsync(Nodes[1], type));
        // Node 1 ran it twice: numbered apart, then alike. A real foreign draw meanwhile (autovacuum's, the case this
        // guards against) can cost one more run on a busy machine (seen once in a full run): every run but the last
        // is a run again.
        var runs = await draws.FiringsAsync();
        Assert.InRange(runs, 2, 3);
        Assert.Equal(ranAgain + runs - 1, Proxy.Runtime.CatalogWrites.RanAgain);
    }

    [PostgresFact]
    public async Task A_schema_change_numbered_apart_on_every_run_still_commits_on_every_node()
    {
        var type = NodeSql.UniqueTable("itest_renumber");
        await using var draws = await ForeignDrawsAsync(type, count: 100);
        var (ranAgain, committedApart) = (Proxy.Runtime.CatalogWrites.RanAgain, Proxy.Runtime.CatalogWrites.CommittedApart);
        await CreateTypeAsync(type, simpleProtocol: false);

        Assert.Equal(3, await draws.FiringsAsync());
        Assert.Equal(ranAgain + 2, Proxy.Runtime.CatalogWrites.RanAgain);
        Assert.Equal(committedApart + 1, Proxy.Runtime.CatalogWrites.CommittedApart);
        foreach (var node in Nodes)
        {
            Assert.Equal(1, await NodeSql.ScalarAsync<long>(node, $"SELECT count(*) FROM pg_type WHERE typname = '{type}'"));
        }

        Assert.NotEqual(await OidsAsync(Nodes[0], type), await OidsAsync(Nodes[1], type));
    }

    /// <summary>
    /// A role node 1 does not let draw (no EXECUTE on lo_create there): its schema changes still commit on every node,
    /// run unchecked, rather than failing on the check's refused draw.
    /// </summary>
    [PostgresFact]
    public async Task A_schema_change_by_a_role_that_may_not_draw_commits_on_every_node()
    {
        var role = NodeSql.UniqueTable("itest_nolo");
        await ExecuteOnProxyAsync($"CREATE ROLE {role} LOGIN; CREATE SCHEMA {role} AUTHORIZATION {role}");
        await NodeSql.ExecuteAsync(Nodes[1], "REVOKE EXECUTE ON FUNCTION lo_create(oid) FROM PUBLIC");
        try
        {
            await using (var connection = await OpenAsync(b => b.Username = role))
            {
                for (var n = 0; n < 2; n++)
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"CREATE TYPE {role}.{role}_t{n} AS (a int)";
                    await command.ExecuteNonQueryAsync();
                }
            }

            for (var n = 0; n < 2; n++)
            {
                Assert.Equal(await OidsAsync(Nodes[0], $"{role}_t{n}"), await OidsAsync(Nodes[1], $"{role}_t{n}"));
            }
        }
        finally
        {
            await NodeSql.ExecuteAsync(Nodes[1], "GRANT EXECUTE ON FUNCTION lo_create(oid) TO PUBLIC");
            await ExecuteOnProxyAsync($"DROP SCHEMA IF EXISTS {role} CASCADE; DROP ROLE IF EXISTS {role}");
        }
    }

    private async Task CreateTypeAsync(string type, bool simpleProtocol)
    {
        var sql = $"CREATE TYPE {type} AS (a int, b text)";
        if (simpleProtocol)
        {
            (await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-c", sql)).EnsureSuccess();
        }
        else
        {
            await ExecuteOnProxyAsync(sql);
        }
    }

    /// <summary>The type's OID, its array type's and its relation's, as the node numbered them.</summary>
    private static Task<string> OidsAsync(PostgresInstance node, string type) =>
        NodeSql.ScalarAsync<string>(node,
            $"SELECT oid || '/' || typarray || '/' || typrelid FROM pg_type WHERE typname = '{type}'");

    private async Task<ForeignDraws> ForeignDrawsAsync(string name, int count)
    {
        var draws = new ForeignDraws(Nodes[1], name, this);
        await NodeSql.ExecuteAsync(Nodes[1], $"""
            CREATE SEQUENCE {name}_fired;
            CREATE FUNCTION {name}_draw() RETURNS event_trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('{name}_fired') <= {count} THEN
                    PERFORM lo_unlink(lo_create(0));
                END IF;
            END $$;
            CREATE EVENT TRIGGER {name}_draw ON ddl_command_start EXECUTE FUNCTION {name}_draw();
            """);
        return draws;
    }

    /// <summary>Node 1's event trigger, dropped (with the type, through pgproxy) at the end.</summary>
    private sealed class ForeignDraws(PostgresInstance node, string name, SchemaChangeNumberingTests test)
        : IAsyncDisposable
    {
        public Task<long> FiringsAsync() => NodeSql.ScalarAsync<long>(node, $"SELECT last_value FROM {name}_fired");

        public async ValueTask DisposeAsync()
        {
            await NodeSql.ExecuteAsync(node,
                $"DROP EVENT TRIGGER IF EXISTS {name}_draw; DROP FUNCTION IF EXISTS {name}_draw(); " +
                $"DROP SEQUENCE IF EXISTS {name}_fired");
            await test.ExecuteOnProxyAsync($"DROP TYPE IF EXISTS {name}");
        }
    }
}
