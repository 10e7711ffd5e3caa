using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Replication;

/// <summary>
/// A deferred constraint trigger fires at COMMIT: for an autocommit write that is the COMMIT of pgproxy's internal
/// transaction, and what the trigger raises must still reach the client, as it does directly (PostgreSQL's
/// foreign_key test, fkpart11). Every node runs the trigger: the write must still be on both, read directly.
/// </summary>
[Collection(ReplicationSuite.Name)]
public sealed class CommitNoticeTests(TwoNodes cluster) : ReplicationTestBase(cluster)
{
    [PostgresFact]
    public async Task Notices_of_deferred_triggers_reach_the_client_once()
    {
        var table = await CreateReplicatedTableAsync("dnotice", "a int");
        var function = table + "_f";
        await ExecuteOnProxyAsync(
            $"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
            "RAISE NOTICE '%: %, %', TG_ARGV[0], TG_OP, NEW.a; RETURN NULL; END $$");
        await ExecuteOnProxyAsync(
            $"CREATE CONSTRAINT TRIGGER {table}_t AFTER INSERT OR UPDATE ON {table} INITIALLY DEFERRED " +
            $"FOR EACH ROW EXECUTE FUNCTION {function}('deferred')");
        // A trigger that fires at once: its notice comes first, as directly (foreign_key's order).
        await ExecuteOnProxyAsync(
            $"CREATE TRIGGER {table}_now AFTER UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}('at once')");

        var result = await PgTools.PsqlAsync(Proxy.Port, "-v", "ON_ERROR_STOP=1", "-qAt",
            "-c", $"INSERT INTO {table} VALUES (1)", "-c", $"UPDATE {table} SET a = 2",
            "-c", $"BEGIN; INSERT INTO {table} VALUES (3); COMMIT;");
        result.EnsureSuccess();

        var notices = result.StdErr.Split('\n').Where(l => l.StartsWith("NOTICE:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["NOTICE:  deferred: INSERT, 1", "NOTICE:  at once: UPDATE, 2", "NOTICE:  deferred: UPDATE, 2",
            "NOTICE:  deferred: INSERT, 3"], notices);
        Assert.Equal(2, await AssertNodesIdenticalAsync(table, "a"));
    }
}
