namespace Pgproxy.Core.Auth;

/// <summary>How a client must prove who it is: a pool_hba.conf method, or what the main node asks for.</summary>
internal enum ClientAuthMethod
{
    Trust,
    Reject,

    /// <summary>
    /// A clear-text password (pool_hba.conf <c>password</c>, PostgreSQL AuthenticationCleartextPassword).
    /// </summary>
    Password,
    Md5,
    ScramSha256,

    /// <summary>The TLS client certificate's common name must equal the user name.</summary>
    Cert,

    /// <summary>A method pool_hba.conf accepts but pgproxy does not implement (pam, ldap).</summary>
    Unsupported,
}
