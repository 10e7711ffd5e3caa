using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// A write that copies what each node knows only of itself (statistics, relfilenode, relpages, relfrozenxid …)
/// stores different rows on every node whatever the order of statements: it is flagged for refusal
/// (nondeterministic_write = error). Reads of the same, and writes of catalog columns every node shares, are not.
/// </summary>
public sealed class NodeStateWriteTests
{
    [Theory]
    [InlineData("CREATE TABLE as_select1 AS SELECT * FROM pg_class WHERE relkind = 'r'")]
    [InlineData("CREATE TABLE IF NOT EXISTS as_select1 AS SELECT * FROM pg_class WHERE relkind = 'r'")]
    [InlineData("CREATE TABLE reindex_temp_before AS\nSELECT oid, relname, relfilenode, relkind, reltoastrelid\n  FROM pg_class")]
    [InlineData("INSERT INTO sizes SELECT relname, relpages FROM pg_catalog.pg_class")]
    [InlineData("INSERT INTO sizes SELECT c.* FROM pg_class c")]
    [InlineData("SELECT datname, datfrozenxid INTO frozen FROM pg_database")]
    [InlineData("INSERT INTO hits SELECT relname, n_tup_ins FROM pg_stat_user_tables")]
    [InlineData("CREATE MATERIALIZED VIEW io AS SELECT * FROM pg_statio_user_tables")]
    [InlineData("UPDATE t SET n = (SELECT count(*) FROM pg_locks)")]
    [InlineData("UPDATE ONLY t SET n = (SELECT relpages FROM pg_class WHERE relname = 't')")]
    [InlineData("DELETE FROM t WHERE n > (SELECT relpages FROM pg_class WHERE relname = 't')")]
    [InlineData("WITH s AS (SELECT reltuples FROM pg_class WHERE relname = 't') INSERT INTO est SELECT * FROM s")]
    [InlineData("CREATE UNLOGGED TABLE st AS SELECT * FROM pg_stats")]
    public void A_write_storing_node_state_is_flagged(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.Equal(StatementKind.Write, statement.Kind);
        Assert.True(statement.Flags.HasFlag(StatementFlags.StoresNodeState));
    }

    [Theory]
    [InlineData("SELECT * FROM pg_class WHERE relkind = 'r'")] // a read: answered by one node
    [InlineData("SELECT relname, relpages FROM pg_class")]
    [InlineData("SELECT * FROM pg_stat_user_tables")]
    [InlineData("CREATE TABLE names AS SELECT oid, relname, relkind FROM pg_class WHERE relname = 't'")]
    [InlineData("INSERT INTO t SELECT count(*) FROM pg_class")]
    [InlineData("CREATE TEMP TABLE old_cluster_info AS SELECT relname, level, relfilenode, relkind FROM pg_class")]
    [InlineData("CREATE TEMPORARY TABLE s AS SELECT * FROM pg_stat_user_tables")]
    [InlineData("CREATE VIEW v AS SELECT * FROM pg_class")] // stores a definition, not rows
    [InlineData("VACUUM pg_class")]
    [InlineData("ANALYZE pg_database")]
    [InlineData("SELECT pg_stat_reset()")]
    [InlineData("UPDATE t SET relpages = 2 * 3")] // a user column that happens to share the name, no catalog
    [InlineData("INSERT INTO t VALUES (1)")]
    [InlineData("update pg_class set reltuples = 10 where relname='bug_16784'")] // each node's own row, kept its own
    [InlineData("UPDATE pg_catalog.pg_class SET reltuples = 2, relpages = 8 WHERE relname = 't'")]
    [InlineData("MERGE INTO pg_class c USING pg_namespace n ON n.oid = c.relnamespace WHEN MATCHED THEN UPDATE SET reltuples = reltuples - 1")]
    public void Other_statements_are_not_flagged(string sql)
    {
        var statement = StatementClassifier.Classify(sql);
        Assert.False(statement.Flags.HasFlag(StatementFlags.StoresNodeState));
    }
}
