using System.Globalization;
using System.Text;

namespace Pgproxy.Core.Catalog;

/// <summary>
/// Replaces a file whole: written and flushed to disk under a name of this process's own, then renamed over the
/// old file, which is atomic on one file system — a crash leaves the old file or the new one, never half of one.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, string text)
    {
        var temp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write failed already; that is what gets reported.
        }
    }
}
