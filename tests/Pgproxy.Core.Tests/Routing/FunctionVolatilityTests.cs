using Pgproxy.Core.Config;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// Which function calls make a read a write, from a database's pg_proc as read by <see cref="FunctionVolatility"/>:
/// a function the reading does not know (created since, or by a transaction not yet visible) must never be taken
/// for a read, and pg_catalog's volatile functions that only read stay reads.
/// </summary>
public sealed class FunctionVolatilityTests
{
    private const string Db = "regression";

    private static RoutingPolicy PolicyWith(params string[] rows)
    {
        var policy = new RoutingPolicy(new ProxyOptions(), new ClassificationCache(), new FunctionVolatility());
        policy.Volatility.Store(Db, rows, policy.Volatility.Generation(Db));
        return policy;
    }

    private static bool? Writes(RoutingPolicy policy, string sql, bool justLoaded = false) => justLoaded
        ? policy.CallsWriteFunction(StatementClassifier.Classify(sql), policy.Volatility.Get(Db)!)
        : policy.CallsWriteFunction(StatementClassifier.Classify(sql), Db);

    [Fact]
    public void A_function_missing_from_the_reading_asks_for_a_new_one_then_counts_as_a_write()
    {
        var policy = PolicyWith("sabs", "vnextval");
        Assert.Null(Writes(policy, "SELECT make_table()"));
        Assert.True(Writes(policy, "SELECT make_table()", justLoaded: true));
        // Remembered as missing: no reading per statement, still a write.
        Assert.True(Writes(policy, "SELECT make_table()"));
    }

    [Fact]
    public void Known_functions_are_classed_by_their_volatility()
    {
        var policy = PolicyWith("sabs", "vmake_table", "cnextval", "crandom", "cpg_partition_ancestors",
            "cpg_get_backend_memory_contexts", "cpg_stat_reset", "ctxid_status", "spg_get_constraintdef");
        Assert.False(Writes(policy, "SELECT abs(1)"));
        Assert.True(Writes(policy, "SELECT abs(1), make_table()"));
        Assert.True(Writes(policy, "SELECT nextval('s')"));
        Assert.False(Writes(policy, "SELECT random()"));
        Assert.True(Writes(policy, "SELECT pg_stat_reset()"));
        Assert.False(Writes(policy,
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid, true) FROM pg_catalog.pg_constraint " +
            "WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('t'::pg_catalog.regclass))"));
        Assert.False(Writes(policy, "SELECT * FROM pg_get_backend_memory_contexts()"));
        Assert.False(Writes(policy, "SELECT txid_status(42)"));
    }

    [Fact]
    public void Main_only_functions_make_no_write_but_the_others_still_count()
    {
        var policy = PolicyWith("icount", "cpg_logical_slot_peek_changes", "cpg_drop_replication_slot", "cnextval");
        Assert.False(Writes(policy, "SELECT count(*) FROM pg_logical_slot_peek_changes('s1', NULL, NULL)"));
        Assert.False(Writes(policy, "SELECT pg_drop_replication_slot('s1')"));
        Assert.True(Writes(policy, "SELECT pg_drop_replication_slot('s1'), nextval('s')"));
    }

    [Fact]
    public void A_sessions_own_reading_decides_even_when_another_sessions_ddl_made_the_cache_forget_it()
    {
        // Regression suite in parallel: DDL in other sessions empties the cache between a session's reading and
        // its decision; taking "no cache" for "unknown" then made every such read a write.
        var policy = PolicyWith("stxid_current", "stxid_snapshot_xmin", "stxid_current_snapshot");
        var reading = policy.Volatility.Get(Db)!;
        policy.Volatility.Invalidate(Db);
        Assert.False(policy.CallsWriteFunction(
            StatementClassifier.Classify("select txid_current() >= txid_snapshot_xmin(txid_current_snapshot())"),
            reading));
    }

    [Fact]
    public void A_user_function_named_like_a_catalog_read_is_still_a_write()
    {
        // 'v': volatile in some schema besides pg_catalog, so it may be the user's and write.
        Assert.True(Writes(PolicyWith("vpg_get_thing"), "SELECT pg_get_thing()"));
    }

    [Fact]
    public void A_reading_that_started_before_a_forgetting_is_not_kept()
    {
        var volatility = new FunctionVolatility();
        var generation = volatility.Generation(Db);
        volatility.Invalidate(Db); // another session's CREATE FUNCTION, between the reading's start and its end
        var map = volatility.Store(Db, ["sabs"], generation);
        Assert.Null(volatility.Get(Db));
        Assert.Equal(FunctionClass.NotVolatile, map.Classify("abs"));

        volatility.Store(Db, ["sabs", "vmake_table"], volatility.Generation(Db));
        Assert.Equal(FunctionClass.Volatile, volatility.Get(Db)!.Classify("make_table"));
        Assert.Equal(FunctionClass.Unknown, volatility.Get(Db)!.Classify("other"));
    }
}
