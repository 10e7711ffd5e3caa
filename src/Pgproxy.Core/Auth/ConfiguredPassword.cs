namespace Pgproxy.Core.Auth;

/// <summary>
/// Turns a password written in pgproxy.conf (<c>health_check_password</c>, <c>system_db_password</c>) into a
/// credential, accepting the forms pool_passwd accepts: '' looks the user up in pool_passwd; <c>AES…</c> is
/// decrypted with the pool key; <c>md5…</c> and <c>SCRAM-SHA-256$…</c> are stored secrets; <c>TEXT…</c> or
/// anything else is the password itself.
/// </summary>
internal static class ConfiguredPassword
{
    /// <summary>
    /// The credential for <paramref name="user"/>, or null with <paramref name="problem"/> set when an AES password
    /// cannot be decrypted or the value is malformed. A user missing from pool_passwd gets
    /// <see cref="BackendCredential.None"/> (fine for trust).
    /// </summary>
    public static BackendCredential? Resolve(string configured, string user, PoolPasswd poolPasswd, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(poolPasswd);
        problem = null;
        if (configured.Length == 0)
        {
            return BackendCredential.From(poolPasswd.Find(user));
        }

        if (!PoolPasswdFile.TryClassify(configured, user, escaped: false, out var kind, out var value, out var error))
        {
            problem = error;
            return null;
        }

        var secret = PoolPasswd.ToSecret(new PoolPasswdEntry(user, kind, value, 0), poolPasswd.Key);
        if (secret is null)
        {
            problem = $"cannot decrypt the AES password of user \"{user}\": no pool key, or not the key it was " +
                "encrypted with";
            return null;
        }

        return BackendCredential.From(secret);
    }

    /// <summary>
    /// The clear-text password (for Npgsql, which takes nothing else), or null when only a hash is known.
    /// </summary>
    public static string? ResolvePlain(string configured, string user, PoolPasswd poolPasswd, out string? problem) =>
        Resolve(configured, user, poolPasswd, out problem)?.Password;
}
