namespace Pgproxy.Core.Auth;

/// <summary>How a password is written in pool_passwd (or in <c>health_check_password</c> and friends).</summary>
internal enum PasswordKind
{
    /// <summary><c>TEXT&lt;password&gt;</c>, or a password with no known prefix.</summary>
    Text,

    /// <summary><c>md5&lt;32 hex digits&gt;</c>: md5(password + user), as PostgreSQL stored it before SCRAM.</summary>
    Md5,

    /// <summary>
    /// <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>, as in pg_authid.
    /// </summary>
    ScramSha256,

    /// <summary>
    /// <c>AES&lt;base64&gt;</c>: the password encrypted with AES-256-CBC under the pool key (pgpool's pg_enc).
    /// </summary>
    Aes,
}
