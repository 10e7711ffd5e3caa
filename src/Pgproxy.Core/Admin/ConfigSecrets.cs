namespace Pgproxy.Core.Admin;

/// <summary>
/// Keeps secrets out of <c>SHOW POOL_STATUS</c> (which any client may run): keys that hold a password or key
/// show a mask, and credentials written inside any other value (a URI with a password or a
/// <c>PGPASSWORD=…</c> in a failover command, say) are masked where they stand (<see cref="EmbeddedSecrets"/>).
/// </summary>
internal static class ConfigSecrets
{
    public const string Mask = "********";

    /// <summary>True for keys whose value is itself a secret (passwords, authentication keys, passphrases).</summary>
    public static bool IsSecretKey(string name) =>
        (name.Contains("password", StringComparison.OrdinalIgnoreCase)
         || name.Contains("authkey", StringComparison.OrdinalIgnoreCase)
         || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
         || name.Contains("token", StringComparison.OrdinalIgnoreCase)
         || name.Contains("passphrase", StringComparison.OrdinalIgnoreCase))
        && !name.EndsWith("_file", StringComparison.OrdinalIgnoreCase)
        && !name.EndsWith("_command", StringComparison.OrdinalIgnoreCase);

    /// <summary>The value as <c>SHOW POOL_STATUS</c> may show it.</summary>
    public static string Show(string name, string value) =>
        IsSecretKey(name) ? Mask : EmbeddedSecrets.Mask(value);
}
