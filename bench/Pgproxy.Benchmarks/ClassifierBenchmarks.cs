using System.Text;
using BenchmarkDotNet.Attributes;
using Pgproxy.Core.Routing;

namespace Pgproxy.Benchmarks;

/// <summary>
/// The statement classifier on pgbench's statements. A cache miss (a new literal every time, as pgbench's
/// simple protocol sends) pays for decoding, lexing and classifying; a hit must cost one hash and compare and
/// allocate nothing. Target: well under 1 µs per miss for the SELECT.
/// </summary>
[MemoryDiagnoser, MinColumn]
public class ClassifierBenchmarks
{
    private const int Distinct = 1024;

    private byte[][] _selects = [];
    private byte[][] _updates = [];
    private byte[] _insert = [];
    private ClassificationCache _cache = new();
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _selects = [.. Enumerable.Range(0, Distinct)
            .Select(i => Encoding.UTF8.GetBytes($"SELECT abalance FROM pgbench_accounts WHERE aid = {i * 7919};"))];
        _updates = [.. Enumerable.Range(0, Distinct)
            .Select(i => Encoding.UTF8.GetBytes($"UPDATE pgbench_accounts SET abalance = abalance + {i - 500} WHERE aid = {i * 7919};"))];
        _insert = Encoding.UTF8.GetBytes(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 42, -300, CURRENT_TIMESTAMP);");
        _cache = new ClassificationCache();
        _cache.Get(_selects[0]);
    }

    [Benchmark(Baseline = true)]
    public object Classify_Select() => StatementClassifier.Classify(_selects[_next++ & (Distinct - 1)]);

    [Benchmark]
    public object Classify_Update() => StatementClassifier.Classify(_updates[_next++ & (Distinct - 1)]);

    [Benchmark]
    public object Classify_InsertWithTimestamp() => StatementClassifier.Classify(_insert);

    [Benchmark]
    public object Cache_Hit() => _cache.Get(_selects[0]);
}
