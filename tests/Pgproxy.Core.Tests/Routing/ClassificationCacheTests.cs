using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

public sealed class ClassificationCacheTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Hit_ReturnsTheSameInstance()
    {
        var cache = new ClassificationCache();
        var first = cache.Get(Utf8("SELECT 1"));
        var second = cache.Get(Utf8("SELECT 1"));
        Assert.Same(first, second);
        Assert.Equal(StatementKind.Read, first.Kind);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void DifferentText_IsADifferentEntry()
    {
        var cache = new ClassificationCache();
        Assert.Equal(StatementKind.Read, cache.Get(Utf8("SELECT 1")).Kind);
        Assert.Equal(StatementKind.Write, cache.Get(Utf8("DELETE FROM t")).Kind);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Hit_DoesNotAllocate()
    {
        var cache = new ClassificationCache();
        var key = Utf8("SELECT abalance FROM pgbench_accounts WHERE aid = 123;");
        cache.Get(key);
        cache.Get(key);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            cache.Get(key);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void QueryBodyNul_IsIgnored()
    {
        var cache = new ClassificationCache();
        var c = cache.Get([.. Utf8("SELECT now()"), 0]);
        Assert.Equal(StatementKind.Read, c.Kind);
        Assert.Single(c.TimeFunctions);
    }

    [Fact]
    public void Full_IsClearedAndStaysBounded()
    {
        var cache = new ClassificationCache(capacity: 8);
        for (var i = 0; i < 100; i++)
        {
            cache.Get(Utf8($"SELECT {i}"));
            Assert.InRange(cache.Count, 1, 8);
        }
    }

    [Fact]
    public void LongText_IsClassifiedButNotStored()
    {
        var cache = new ClassificationCache(maxKeyLength: 32);
        var longSql = Utf8("INSERT INTO t VALUES (" + new string('1', 100) + ")");
        var a = cache.Get(longSql);
        var b = cache.Get(longSql);
        Assert.Equal(StatementKind.Write, a.Kind);
        Assert.NotSame(a, b);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void InvalidCapacity_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationCache(capacity: 0));

    [Fact]
    public async Task ConcurrentUse_GivesConsistentAnswers()
    {
        var cache = new ClassificationCache(capacity: 64);
        var texts = Enumerable.Range(0, 200)
            .Select(i => i % 3 == 0 ? $"UPDATE t SET a = {i}" : $"SELECT {i % 50}")
            .Select(Utf8)
            .ToArray();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var round = 0; round < 50; round++)
            {
                foreach (var text in texts)
                {
                    var c = cache.Get(text);
                    var expected = text[0] == (byte)'U' ? StatementKind.Write : StatementKind.Read;
                    if (c.Kind != expected)
                    {
                        return false;
                    }
                }
            }

            return true;
        }));
        var results = await Task.WhenAll(workers);
        Assert.All(results, Assert.True);
        Assert.InRange(cache.Count, 1, 64 + 4);
    }

    [Fact]
    public void ConcurrentMisses_OnOneText_ShareOneInstance()
    {
        var cache = new ClassificationCache();
        var key = Utf8("SELECT 42");
        var seen = new StatementClassification[8];
        Parallel.For(0, seen.Length, i => seen[i] = cache.Get(key));
        var stored = cache.Get(key);
        Assert.All(seen, c => Assert.Equal(StatementKind.Read, c.Kind));
        Assert.Contains(stored, seen);
    }
}
