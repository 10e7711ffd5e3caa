namespace Pgproxy.Core.Auth;

/// <summary>
/// The key that AES entries of pool_passwd are encrypted with, as pgpool's <c>~/.pgpoolkey</c>: the first line of
/// a key file. The file is <c>-k</c> or <c>pool_key</c> when given, else <c>$PGPROXYKEYFILE</c>, else
/// <c>~/.pgproxykey</c>.
/// </summary>
internal static class PoolKey
{
    public const string EnvironmentVariable = "PGPROXYKEYFILE";
    public const string DefaultFileName = ".pgproxykey";

    /// <summary>
    /// The key file to use; <paramref name="configured"/> is <c>-k</c> or <c>pool_key</c> ('' when unset).
    /// </summary>
    public static string ResolvePath(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return Path.GetFullPath(fromEnvironment);
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), DefaultFileName);
    }

    /// <summary>
    /// Reads the key: the file's first line without its line end. Null when the file is missing or unreadable
    /// (<paramref name="problem"/> says why, except for a plain "does not exist"). A key file others may read
    /// is used but reported in <paramref name="warning"/>, as pgpool does.
    /// </summary>
    public static string? TryRead(string path, out string? problem, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(path);
        problem = null;
        warning = null;
        string text;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            text = File.ReadAllText(path);
            if (!OperatingSystem.IsWindows()
                && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                    | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite
                    | UnixFileMode.OtherExecute)) != 0)
            {
                warning = $"pool key file \"{path}\" has group or world access; " +
                    "permissions should be u=rw (0600) or less";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"could not read pool key file \"{path}\": {e.Message}";
            return null;
        }

        var end = text.IndexOf('\n', StringComparison.Ordinal);
        var key = end < 0 ? text : text[..end];
        if (key.Length == 0)
        {
            problem = $"pool key file \"{path}\" is empty: its first line is the key";
            return null;
        }

        return key;
    }
}
