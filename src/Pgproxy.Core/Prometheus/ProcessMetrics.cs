using System.Diagnostics;
using System.Globalization;

namespace Pgproxy.Core.Prometheus;

/// <summary>
/// The process's own cost, in the names Prometheus client libraries use, so that a scrape before and after a load
/// gives CPU seconds and bytes allocated per transaction — figures steadier than throughput on a shared machine.
/// </summary>
internal static class ProcessMetrics
{
    public static void Write(PrometheusTextWriter writer)
    {
        using var process = Process.GetCurrentProcess();
        writer.Family("process_cpu_seconds_total", "counter", "CPU time pgproxy used, user and system, in seconds.")
            .Sample("process_cpu_seconds_total", process.TotalProcessorTime.TotalSeconds);
        writer.Family("process_resident_memory_bytes", "gauge", "pgproxy's resident memory.")
            .Sample("process_resident_memory_bytes", process.WorkingSet64);
        writer.Family("dotnet_gc_allocated_bytes_total", "counter", "Bytes the .NET runtime allocated on the heap.")
            .Sample("dotnet_gc_allocated_bytes_total", GC.GetTotalAllocatedBytes(precise: true));
        writer.Family("dotnet_gc_collections_total", "counter", "Garbage collections, by the generation collected.");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            writer.Sample("dotnet_gc_collections_total", GC.CollectionCount(generation),
                ("generation", generation.ToString(CultureInfo.InvariantCulture)));
        }

        writer.Family("dotnet_gc_pause_seconds_total", "counter", "Time the runtime paused threads for collections.")
            .Sample("dotnet_gc_pause_seconds_total", GC.GetTotalPauseDuration().TotalSeconds);
    }
}
