using System.Globalization;

namespace Pgproxy.Process;

/// <summary>
/// The pid file (<c>pid_file_name</c>): written once the listeners are bound, removed at exit, read by
/// <c>stop</c> and <c>reload</c>. A start is refused while the pid in it belongs to a live process.
/// </summary>
internal static class PidFile
{
    public static int? TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            var firstLine = text.Split('\n')[0].Trim();
            return int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
                ? pid
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static void Write(string path, int pid)
    {
        var folder = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(path, pid.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    /// <summary>Removes the file if it still names <paramref name="pid"/> (never another process's file).</summary>
    public static void Remove(string path, int pid)
    {
        if (TryRead(path) == pid)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing more can be done; a stale file is detected by the next start.
            }
        }
    }
}
