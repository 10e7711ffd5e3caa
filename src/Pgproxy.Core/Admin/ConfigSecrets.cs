using System.Text.RegularExpressions;

namespace Pgproxy.Core.Admin;

/// <summary>
/// Keeps secrets out of <c>SHOW POOL_STATUS</c> (which any client may run): keys that hold a password or key
/// show a mask, and a <c>password=…</c> written inside any other value (a connection string in a failover
/// command, say) has its value masked.
/// </summary>
internal static partial class ConfigSecrets
{
    public const string Mask = "********";

    /// <summary>True for keys whose value is itself a secret (passwords, authentication keys, passphrases).</summary>
    public static bool IsSecretKey(string name) =>
        (name.Contains("password", StringComparison.OrdinalIgnoreCase)
         || name.Contains("authkey", StringComparison.OrdinalIgnoreCase)
         || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
         || name.Contains("passphrase", StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith("_file", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith("_command", StringComparison.OrdinalIgnoreCase);

    /// <summary>The value as <c>SHOW POOL_STATUS</c> may show it.</summary>
    public static string Show(string name, string value) =>
        IsSecretKey(name) ? Mask : EmbeddedPassword().Replace(value, m => m.Groups[1].Value + Mask);

    /// <summary><c>password=x</c>, <c>PGPASSWORD=x</c>, <c>password: x</c>, quoted or not.</summary>
    [GeneratedRegex(@"((?:pass(?:word|wd)?|pwd)\s*[=:]\s*)('[^']*'|""[^""]*""|[^\s;'""]+)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddedPassword();
}
