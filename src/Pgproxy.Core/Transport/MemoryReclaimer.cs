using System.Runtime;

namespace Pgproxy.Core.Transport;

/// <summary>
/// Gives the memory of large, short-lived buffers back to the operating system. Such a buffer dies on the large
/// object heap, which only a gen-2 collection frees, and a proxy that goes quiet after a burst allocates too little
/// to trigger one: its RSS would stay at the burst's peak for hours. So, once large buffers were released and no
/// more have been for <see cref="Quiet"/>, one compacting collection that decommits free memory
/// (<see cref="GCCollectionMode.Aggressive"/>) runs on a timer thread, never more often than every
/// <see cref="MinimumInterval"/>: a big message costs a full collection at most every few seconds. The native
/// heap is trimmed at the same time (<see cref="NativeHeap"/>).
/// </summary>
internal static class MemoryReclaimer
{
    /// <summary>How long the releases must stop before collecting: a burst of big messages costs one collection.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    /// <summary>Least time between two collections, however many big messages arrive.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(5);

    private static readonly Lock Gate = new();
    private static readonly Timer Timer = new(_ => Collect(), null, Timeout.Infinite, Timeout.Infinite);
    private static long _lastCollection = long.MinValue / 2;
    private static long _releases;

    /// <summary>Large buffers released since the process started (a test's way to see they were reported).</summary>
    public static long Releases => Interlocked.Read(ref _releases);

    /// <summary>Collections run since the process started.</summary>
    public static long Collections { get; private set; }

    /// <summary>A large buffer became garbage: collect once the releases have stopped for a moment.</summary>
    public static void LargeBufferReleased()
    {
        Interlocked.Increment(ref _releases);
        lock (Gate)
        {
            var earliest = _lastCollection + (long)MinimumInterval.TotalMilliseconds - Environment.TickCount64;
            Timer.Change(TimeSpan.FromMilliseconds(Math.Max((long)Quiet.TotalMilliseconds, earliest)),
                Timeout.InfiniteTimeSpan);
        }
    }

    private static void Collect()
    {
        lock (Gate)
        {
            _lastCollection = Environment.TickCount64;
            Collections++;
        }

        // Aggressive: blocking, compacting (the large object heap too) and decommitting what is free afterwards;
        // the shared ArrayPool is trimmed by the same collection.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
    }
}
