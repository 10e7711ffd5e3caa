using Pgproxy.Core.Consistency;

namespace Pgproxy.Core.Tests.Consistency;

/// <summary>
/// Which relations are compared and how a missing one is reported, with three nodes whose ids are not their
/// places in the list (findings name nodes by id). The catalog answers come from scripts keyed on the query's shape.
/// </summary>
public sealed class DatabaseComparerTests
{
    [Fact]
    public async Task MissingRelations_AndSequences_NamedByNodeId()
    {
        var main = Node(0, ["public.a", "public.s"], "7");
        var lacking = Node(2, ["public.s"], "7");
        var extra = Node(5, ["public.a", "public.b", "public.s"], "9");
        var comparer = new DatabaseComparer(new CheckSettings(0), new CheckProgress(TimeProvider.System), TimeProvider.System);

        var check = await comparer.CompareAsync("db", [main, lacking, extra], [], CancellationToken.None);

        Assert.Equal(
        [
            "RelationMissing public.a 2 table missing on node 2",
            "RelationMissing public.b 5 table only on node 5, not on node 0",
            "SequenceDiffers public.s 5 last_value 7 on node 0, 9 on node 5",
        ], check.Findings.Select(f => $"{f.Kind} {f.Relation} {f.NodeId} {f.Detail}"));
        Assert.Equal(["public.a 0", "public.a 5"], check.Digests.Select(d => $"{d.Relation} {d.NodeId}"));
    }

    [Fact]
    public async Task Filter_OnlyNamedRelationsRead_UnmatchedNamesReturned()
    {
        var main = Node(0, ["public.a", "public.s"], "7");
        var node = Node(1, ["public.a", "public.s"], "9");
        var comparer = new DatabaseComparer(new CheckSettings(0), new CheckProgress(TimeProvider.System), TimeProvider.System);

        var check = await comparer.CompareAsync("db", [main, node], ["a", "public.nosuch"], CancellationToken.None);

        Assert.True(check.Identical);
        Assert.Equal(["public.nosuch"], check.UnmatchedTables);
        Assert.DoesNotContain(main.Queries, q => q.Contains("last_value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TypeOidsDiffer_ReportedPerNode_AsNoDataDifference()
    {
        var main = Node(0, ["public.a"], "7", [["public.mood", "16390"], ["public.mood[]", "16389"], ["public.d", "16400"]]);
        var node = Node(1, ["public.a"], "7",
            [["public.mood", "16392"], ["public.mood[]", "16391"], ["public.d", "16400"], ["public.only_here", "16500"]]);
        var comparer = new DatabaseComparer(new CheckSettings(0), new CheckProgress(TimeProvider.System), TimeProvider.System);

        var check = await comparer.CompareAsync("db", [main, node], [], CancellationToken.None);

        var finding = Assert.Single(check.Findings);
        Assert.Equal(FindingKind.TypeOidsDiffer, finding.Kind);
        Assert.False(finding.DataDiffers);
        Assert.Equal("public.mood", finding.Relation);
        Assert.Equal("2 type(s) have other OIDs than on node 0: public.mood 16390 on node 0, 16392 on node 1; " +
                     "public.mood[] 16389 on node 0, 16391 on node 1", finding.Detail);
        Assert.Equal("type oids differ", CheckVerdicts.Of(finding));
    }

    /// <summary>A node holding the given relations (names starting with s are sequences): empty tables without a key.</summary>
    private static ScriptedSnapshot Node(int id, string[] relations, string lastValue, string?[][]? oids = null) => new(id, sql =>
    {
        if (sql.Contains("::pg_catalog.regtype", StringComparison.Ordinal))
        {
            return oids ?? [];
        }

        if (sql.Contains("pg_catalog.pg_attribute", StringComparison.Ordinal))
        {
            return [.. relations.Where(r => !IsSequence(r)).Select(r => new[] { r, "x", "integer", "integer", "false", null })];
        }

        if (sql.Contains("c.relkind IN ('r', 'S')", StringComparison.Ordinal))
        {
            return [.. relations.Select(r => new[] { r, "public", r["public.".Length..], IsSequence(r) ? "S" : "r", "0" })];
        }

        if (sql.Contains("last_value", StringComparison.Ordinal))
        {
            return [.. relations.Where(IsSequence).Select(r => new[] { r, lastValue, "true" })];
        }

        return sql.StartsWith("SELECT pg_catalog.count(*)", StringComparison.Ordinal) ? [["0", "0"]] : null;
    });

    private static bool IsSequence(string relation) => relation.StartsWith("public.s", StringComparison.Ordinal);
}
