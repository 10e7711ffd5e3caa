using System.Collections.Concurrent;

namespace Pgproxy.Core.Routing;

/// <summary>
/// Remembers the classification of recently seen query texts, keyed by their UTF-8 bytes. Applications repeat
/// the same texts (prepared statements, ORMs), so most lookups hit; a hit allocates nothing. Bounded: when full
/// it is simply cleared, which is cheap and keeps no bookkeeping on the hit path. Texts longer than the key limit
/// are classified every time rather than stored, so a stream of huge distinct INSERTs cannot fill memory.
/// </summary>
internal sealed class ClassificationCache
{
    private readonly ConcurrentDictionary<byte[], StatementClassification> _entries;
    private readonly ConcurrentDictionary<byte[], StatementClassification>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly int _capacity;
    private readonly int _maxKeyLength;
    private int _count;

    /// <param name="capacity">Most entries kept before the cache is cleared.</param>
    /// <param name="maxKeyLength">Longest query text (bytes) that is stored.</param>
    public ClassificationCache(int capacity = 4096, int maxKeyLength = 8 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeyLength);
        _capacity = capacity;
        _maxKeyLength = maxKeyLength;
        _entries = new ConcurrentDictionary<byte[], StatementClassification>(Utf8KeyComparer.Instance);
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Entries currently stored (approximate while other threads add).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The classification of <paramref name="utf8Sql"/>: from the cache, or classified now and stored.
    /// </summary>
    public StatementClassification Get(ReadOnlySpan<byte> utf8Sql)
    {
        if (_lookup.TryGetValue(utf8Sql, out var cached))
        {
            return cached;
        }

        var classification = StatementClassifier.Classify(utf8Sql);
        if (utf8Sql.Length > _maxKeyLength)
        {
            return classification;
        }

        if (Volatile.Read(ref _count) >= _capacity)
        {
            // Two threads may both clear; that only costs a few extra misses.
            _entries.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_lookup.TryAdd(utf8Sql, classification))
        {
            Interlocked.Increment(ref _count);
            return classification;
        }

        // Another thread stored it first: hand out that instance so every caller shares one.
        return _lookup.TryGetValue(utf8Sql, out cached) ? cached : classification;
    }
}
