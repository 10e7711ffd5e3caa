using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

/// <summary>
/// Which writes read rows besides those they change (<see cref="StatementFlags.ReadsOtherRows"/>): their autocommit
/// runs share one REPEATABLE READ snapshot across the nodes (WritePath.ShareWriteSnapshotAsync).
/// </summary>
public sealed class ReadsOtherRowsTests
{
    [Theory]
    [InlineData("UPDATE q SET n = n + 1 WHERE id = (SELECT max(id) FROM q)")]
    [InlineData("INSERT INTO q(id) SELECT coalesce(max(id), 0) + 1 FROM q")]
    [InlineData("insert into log select sum(n) from q")]
    [InlineData("UPDATE t SET v = o.v FROM other o WHERE o.id = t.id")]
    [InlineData("DELETE FROM t USING other o WHERE o.id = t.id")]
    [InlineData("DELETE FROM t WHERE id IN (SELECT id FROM old)")]
    [InlineData("INSERT INTO t VALUES ((SELECT count(*) FROM t))")]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v")]
    [InlineData("WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved")]
    public void Reads(string sql) =>
        Assert.True(StatementClassifier.Classify(sql).Flags.HasFlag(StatementFlags.ReadsOtherRows), sql);

    [Theory]
    [InlineData("UPDATE t SET v = 1 WHERE id = 5")]
    [InlineData("UPDATE t SET d = EXTRACT(year FROM now()) WHERE id = 5")]
    [InlineData("DELETE FROM t WHERE id = 5")]
    [InlineData("INSERT INTO t VALUES (1, 'a'), (2, 'b')")]
    [InlineData("INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1")]
    [InlineData("SELECT max(id) FROM q")]
    [InlineData("CREATE TABLE c AS SELECT * FROM q")]
    public void DoesNotRead(string sql) =>
        Assert.False(StatementClassifier.Classify(sql).Flags.HasFlag(StatementFlags.ReadsOtherRows), sql);
}
