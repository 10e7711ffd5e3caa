using System.Diagnostics;
using Pgproxy.Core.Consistency;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Consistency;

/// <summary>
/// <see cref="DatabaseComparer"/> against two real PostgreSQL nodes, each test in a database of its own, the
/// differences made on node 1 directly. Findings are asserted exactly, as one line each.
/// </summary>
[Collection(ConsistencySuite.Name)]
public sealed class DatabaseComparerTests(TwoNodes cluster)
{
    private readonly IReadOnlyList<PostgresInstance> _nodes = cluster.Nodes;

    [PostgresFact]
    public async Task IdenticalNodes_ManyTypesKeysAndOrders_NoFinding_AndDigestsAgreeWithEachNode()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync(""""
            CREATE TABLE public.kinds (id int PRIMARY KEY, t text, n numeric, ts timestamptz, b bytea, j jsonb, f float8,
                                       i interval, d date);
            CREATE TABLE public.pairs (a int, b text, v int, PRIMARY KEY (a, b));
            CREATE TABLE public.nopk (x int, y text);
            CREATE TABLE public.chars (k char(5), b bit(3), PRIMARY KEY (k, b));
            INSERT INTO public.chars SELECT lpad(g::text, 4, 'x'), (g % 8)::bit(3) FROM generate_series(1, 30) g;
            CREATE TABLE public.empty (id int PRIMARY KEY);
            CREATE TABLE public.parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
            CREATE TABLE public.parted_lo PARTITION OF public.parted FOR VALUES FROM (0) TO (100);
            CREATE TABLE public.parted_hi PARTITION OF public.parted FOR VALUES FROM (100) TO (1000);
            CREATE SCHEMA "My Schema";
            CREATE TABLE "My Schema"."Odd ""Name""" (k text PRIMARY KEY, v int);
            CREATE SEQUENCE public.seq1;
            SELECT nextval('public.seq1');
            INSERT INTO public.nopk VALUES (1, 'a'), (1, 'a'), (2, NULL);
            INSERT INTO public.parted SELECT g, 'p' || g FROM generate_series(0, 199) g;
            """");
        // Same rows, written in another order and another session time zone on node 1: neither may show.
        const string kinds = """"
            INSERT INTO public.kinds SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'row ' || g END, g * 1.5,
                '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 hour', decode(md5(g::text), 'hex'),
                CASE WHEN g % 7 = 0 THEN NULL ELSE jsonb_build_object('g', g, 'a', array[g, g + 1]) END, g / 3.0,
                g * interval '1 minute', date '2026-01-01' + g
            FROM generate_series(1, 50) g ORDER BY g {0};
            INSERT INTO public.pairs SELECT g % 4, 'k''' || g || E'\\x', g FROM generate_series(1, 30) g ORDER BY g {0};
            INSERT INTO "My Schema"."Odd ""Name""" SELECT 'it''s ' || g || E' back\\slash', g
            FROM generate_series(1, 20) g ORDER BY g {0};
            """";
        await db.OnNodeAsync(0, string.Format(System.Globalization.CultureInfo.InvariantCulture, kinds, "ASC"));
        await db.OnNodeAsync(1, "SET TimeZone = 'Asia/Tokyo'; " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, kinds, "DESC"));

        var check = await db.CompareAsync(new CheckSettings(0, ChunkRows: 7));

        Assert.Empty(check.Findings.Select(Line));
        Assert.True(check.Identical);
        var expected = new (string Relation, string Table)[]
        {
            ("\"My Schema\".\"Odd \"\"Name\"\"\"", "\"My Schema\".\"Odd \"\"Name\"\"\""),
            ("public.chars", "public.chars"), ("public.empty", "public.empty"), ("public.kinds", "public.kinds"), ("public.nopk", "public.nopk"),
            ("public.pairs", "public.pairs"), ("public.parted_hi", "public.parted_hi"),
            ("public.parted_lo", "public.parted_lo"),
        };
        Assert.Equal(expected.Select(e => e.Relation), check.Digests.Select(d => d.Relation).Distinct());
        foreach (var (relation, table) in expected)
        {
            var pair = check.Digests.Where(d => d.Relation == relation).OrderBy(d => d.NodeId).ToList();
            Assert.Equal([0, 1], pair.Select(d => d.NodeId));
            Assert.Equal(pair[0].Hash, pair[1].Hash);
            for (var node = 0; node < 2; node++)
            {
                Assert.Equal(await db.ScalarAsync<long>(node, $"SELECT count(*) FROM ONLY {table}"), pair[node].Rows);
            }
        }
    }

    [PostgresFact]
    public async Task RowInsertedUpdatedOrDeletedOnNode1_NamesTableRangeAndKey()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync("""
            CREATE TABLE public.ins (id int PRIMARY KEY, v text);
            CREATE TABLE public.upd (id int PRIMARY KEY, v text);
            CREATE TABLE public.del (id int PRIMARY KEY, v text);
            CREATE TABLE public.comp (a int, b text, v int, PRIMARY KEY (a, b));
            CREATE TABLE public.same (id int PRIMARY KEY, v text);
            CREATE TABLE public.chars (k char(5) PRIMARY KEY, v int);
            INSERT INTO public.chars SELECT lpad(g::text, 4, '0'), g FROM generate_series(1, 10) g;
            INSERT INTO public.ins SELECT g, 'v' || g FROM generate_series(1, 10) g;
            INSERT INTO public.upd SELECT g, 'v' || g FROM generate_series(1, 10) g;
            INSERT INTO public.del SELECT g, 'v' || g FROM generate_series(1, 10) g;
            INSERT INTO public.same SELECT g, 'v' || g FROM generate_series(1, 10) g;
            INSERT INTO public.comp SELECT a, b, a FROM generate_series(1, 3) a, unnest(ARRAY['x', 'y']) b;
            """);
        await db.OnNodeAsync(1, """
            INSERT INTO public.ins VALUES (11, 'new');
            UPDATE public.upd SET v = 'changed' WHERE id = 2;
            DELETE FROM public.del WHERE id = 6;
            UPDATE public.comp SET v = 42 WHERE a = 2 AND b = 'y';
            UPDATE public.chars SET v = 0 WHERE k = '0006';
            """);

        // Chunks of 4 keys: (-inf, 5), [5, 9), [9, +inf); the composite key's: (-inf, (3, x)), [(3, x), +inf).
        // A char(5) boundary must go back in as bpchar, not as character (= char(1), which would cut it to "0").
        var check = await db.CompareAsync(new CheckSettings(0, ChunkRows: 4));

        AssertFindings(
        [
            "RowsDiffer public.chars node 1: same count, different contents | (k) [0005, 0009) | k=0006 differs",
            "RowsDiffer public.comp node 1: same count, different contents | (a, b) (-inf, (3, x)) | (a, b)=(2, y) differs",
            "RowsDiffer public.del node 1: rows 10 on node 0, 9 on node 1 | (id) [5, 9) | id=6 missing on node 1",
            "RowsDiffer public.ins node 1: rows 10 on node 0, 11 on node 1 | (id) [9, +inf) | id=11 only on node 1",
            "RowsDiffer public.upd node 1: same count, different contents | (id) (-inf, 5) | id=2 differs",
        ], check);
        Assert.Equal(10, check.Digests.Single(d => d.Relation == "public.del" && d.NodeId == 0).Rows);
        Assert.Equal(9, check.Digests.Single(d => d.Relation == "public.del" && d.NodeId == 1).Rows);
        Assert.Equal(9L, await db.ScalarAsync<long>(1, "SELECT count(*) FROM public.del"));
    }

    [PostgresFact]
    public async Task TableOrSequenceOnOneNodeOnly_RelationMissing()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync("CREATE TABLE public.common (id int PRIMARY KEY); INSERT INTO public.common VALUES (1)");
        await db.OnNodeAsync(0, "CREATE TABLE public.only_main (id int)");
        await db.OnNodeAsync(1, "CREATE TABLE public.only_one (id int); CREATE SEQUENCE public.seq_one");

        var check = await db.CompareAsync(new CheckSettings(0));

        AssertFindings(
        [
            "RelationMissing public.only_main node 1: table missing on node 1 |  | ",
            "RelationMissing public.only_one node 1: table only on node 1, not on node 0 |  | ",
            "RelationMissing public.seq_one node 1: sequence only on node 1, not on node 0 |  | ",
        ], check);
        Assert.Equal(["public.common", "public.only_main"], check.Digests.Select(d => d.Relation).Distinct());
    }

    [PostgresFact]
    public async Task ColumnDefinitionsDiffer_ColumnsDiffer_AndRowsNotCompared()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnNodeAsync(0, """
            CREATE TABLE public.typed (id int PRIMARY KEY, v int);
            CREATE TABLE public.nn (id int PRIMARY KEY, v int NOT NULL);
            CREATE TABLE public.keyed (id int PRIMARY KEY, v int);
            CREATE TABLE public."order" (a int, b int);
            INSERT INTO public.typed VALUES (1, 1);
            """);
        await db.OnNodeAsync(1, """
            CREATE TABLE public.typed (id int PRIMARY KEY, v bigint);
            CREATE TABLE public.nn (id int PRIMARY KEY, v int);
            CREATE TABLE public.keyed (id int, v int, PRIMARY KEY (id, v));
            CREATE TABLE public."order" (b int, a int);
            INSERT INTO public.typed VALUES (1, 1), (2, 2);
            """);

        var check = await db.CompareAsync(new CheckSettings(0));

        AssertFindings(
        [
            "ColumnsDiffer public.\"order\" node 1: columns (a, b) on node 0, (b, a) on node 1 |  | ",
            "ColumnsDiffer public.keyed node 1: v nullable on node 0, NOT NULL on node 1; primary key (id) on node 0, (id, v) on node 1 |  | ",
            "ColumnsDiffer public.nn node 1: v NOT NULL on node 0, nullable on node 1 |  | ",
            "ColumnsDiffer public.typed node 1: v integer on node 0, bigint on node 1 |  | ",
        ], check);
        Assert.DoesNotContain(check.Digests, d => d.NodeId == 1);
    }

    [PostgresFact]
    public async Task SequenceAheadOnNode1_SequenceDiffers()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync("""
            CREATE SEQUENCE public.ahead; CREATE SEQUENCE public.called; CREATE SEQUENCE public.alike;
            SELECT nextval('public.ahead'), nextval('public.ahead'), nextval('public.ahead'), nextval('public.alike');
            """);
        await db.OnNodeAsync(1, "SELECT nextval('public.ahead'), nextval('public.called')");

        var check = await db.CompareAsync(new CheckSettings(0));

        AssertFindings(
        [
            "SequenceDiffers public.ahead node 1: last_value 3 on node 0, 4 on node 1 |  | ",
            "SequenceDiffers public.called node 1: is_called false on node 0, true on node 1 |  | ",
        ], check);
        Assert.Equal(4L, await db.ScalarAsync<long>(1, "SELECT last_value FROM public.ahead"));
    }

    [PostgresFact]
    public async Task LargeTableInChunks_OneRowChanged_ExactlyOneRangeAndOneKey_AtTheRate()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync("""
            CREATE TABLE public.big (id int PRIMARY KEY, v text, n numeric);
            INSERT INTO public.big SELECT g, md5(g::text), g * 0.01 FROM generate_series(1, 25000) g;
            """);
        await db.OnNodeAsync(1, "UPDATE public.big SET v = 'changed' WHERE id = 12345");

        // 25,000 rows hashed plus 1,000 listed per node at 50,000 rows/s: at least half a second.
        var watch = Stopwatch.StartNew();
        var check = await db.CompareAsync(new CheckSettings(50_000, ChunkRows: 1000));
        watch.Stop();

        AssertFindings(
            ["RowsDiffer public.big node 1: same count, different contents | (id) [12001, 13001) | id=12345 differs"],
            check);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450), $"took {watch.Elapsed}");
        var progress = db.Progress.Rows();
        Assert.Equal([0, 1], progress.Select(p => p.NodeId));
        Assert.All(progress, p => Assert.True(p is { RowsDone: 25000, RowsTotal: 25000, Finished: true, Relation: "public.big" }));
    }

    [PostgresFact]
    public async Task TablesFilter_NameInAnySchema_OrSchemaQualified_OrUnmatched()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        await db.OnEveryNodeAsync("""
            CREATE SCHEMA s1; CREATE SCHEMA s2;
            CREATE TABLE s1.a (id int PRIMARY KEY); CREATE TABLE s1.b (id int PRIMARY KEY);
            CREATE TABLE s2.a (id int PRIMARY KEY); CREATE TABLE s2.b (id int PRIMARY KEY);
            """);
        await db.OnNodeAsync(1, "INSERT INTO s1.a VALUES (2); INSERT INTO s1.b VALUES (2); INSERT INTO s2.a VALUES (2); INSERT INTO s2.b VALUES (2)");

        var byName = await db.CompareAsync(new CheckSettings(0), "a");
        var qualified = await db.CompareAsync(new CheckSettings(0), "s2.a");
        var unmatched = await db.CompareAsync(new CheckSettings(0), "nosuch", "s1.b");

        AssertFindings(
        [
            "RowsDiffer s1.a node 1: rows 0 on node 0, 1 on node 1 | (id) (-inf, +inf) | id=2 only on node 1",
            "RowsDiffer s2.a node 1: rows 0 on node 0, 1 on node 1 | (id) (-inf, +inf) | id=2 only on node 1",
        ], byName);
        Assert.Equal(["s2.a"], qualified.Findings.Select(f => f.Relation));
        Assert.Equal(["s1.b"], unmatched.Findings.Select(f => f.Relation));
        Assert.Equal(["nosuch"], unmatched.UnmatchedTables);
        Assert.Empty(byName.UnmatchedTables);
    }

    /// <summary>The findings, one line each, compared as one text so a failure shows every line whole.</summary>
    private static void AssertFindings(string[] expected, DatabaseCheck check) =>
        Assert.Equal(string.Join('\n', expected), string.Join('\n', check.Findings.Select(Line)));

    [PostgresFact]
    public async Task TypesUnderOtherOids_OneFindingThatIsNoDataDifference_TablesRowTypesIgnored()
    {
        await using var db = await ScratchDatabase.CreateAsync(_nodes);
        // Node 1 draws an OID of its own first, so the same DDL gives its types other OIDs than node 0's.
        await db.OnNodeAsync(1, "CREATE TYPE public.burn AS ENUM ('x'); DROP TYPE public.burn;");
        await db.OnEveryNodeAsync("""
            CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
            CREATE TABLE public.people (id int PRIMARY KEY, m public.mood);
            INSERT INTO public.people VALUES (1, 'ok'), (2, 'happy');
            """);
        var oids = new List<string>();
        for (var node = 0; node < 2; node++)
        {
            oids.Add(await db.ScalarAsync<string>(node, "SELECT 'public.mood'::regtype::oid::text"));
        }

        Assert.NotEqual(oids[0], oids[1]);

        var check = await db.CompareAsync(new CheckSettings(0));

        var finding = Assert.Single(check.Findings);
        Assert.Equal(FindingKind.TypeOidsDiffer, finding.Kind);
        Assert.False(finding.DataDiffers);
        Assert.StartsWith($"2 type(s) have other OIDs than on node 0: public.mood {oids[0]} on node 0, {oids[1]} on node 1; " +
                          "public.mood[] ", finding.Detail);
    }

    private static string Line(CheckFinding f) =>
        $"{f.Kind} {f.Relation} node {f.NodeId}: {f.Detail} | {string.Join("; ", f.Ranges)} | {string.Join("; ", f.Keys)}";
}
