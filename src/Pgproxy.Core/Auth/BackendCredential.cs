using Pgproxy.Protocol.Auth;

namespace Pgproxy.Core.Auth;

/// <summary>
/// What pgproxy logs into the backend nodes with for one session: the password when it knows it (TEXT or AES in
/// pool_passwd, or a clear-text password the client sent and pgproxy verified), an md5 hash, and a SCRAM verifier
/// with the ClientKey recovered from the client's own SCRAM proof. Each backend authentication method takes what
/// it can use: cleartext needs the password; md5 the password or the hash; SCRAM the password, or the ClientKey
/// when the node stores the very same verifier (same salt and iterations).
/// </summary>
internal sealed class BackendCredential
{
    private readonly string? _md5Hash;

    private BackendCredential(string? password, string? md5Hash, ScramVerifier? verifier,
        ReadOnlyMemory<byte>? clientKey, string holds)
    {
        Password = password;
        _md5Hash = md5Hash;
        Verifier = verifier;
        ClientKey = clientKey;
        Holds = holds;
    }

    /// <summary>No secret at all: any node that asks for a password gets a clear error instead.</summary>
    public static BackendCredential None { get; } = new(null, null, null, null, "no password for this user");

    public string? Password { get; }

    public ScramVerifier? Verifier { get; }

    public ReadOnlyMemory<byte>? ClientKey { get; }

    /// <summary>For error messages: what pgproxy has for the user, in words.</summary>
    public string Holds { get; }

    public static BackendCredential FromPassword(string password) =>
        new(password, null, null, null, "the password");

    /// <summary>
    /// The credential for a user whose pool_passwd secret is <paramref name="secret"/> (null: not in pool_passwd),
    /// plus what the client's authentication revealed: a clear-text password already verified, or the ClientKey
    /// of a successful SCRAM exchange against the stored verifier.
    /// </summary>
    public static BackendCredential From(PasswordSecret? secret, string? verifiedPassword = null,
        ReadOnlyMemory<byte>? clientKey = null)
    {
        if (verifiedPassword is not null || secret?.Plain is not null)
        {
            return FromPassword(verifiedPassword ?? secret!.Plain!);
        }

        if (secret is null)
        {
            return None;
        }

        var holds = "only " + secret.Describe() + " in pool_passwd";
        return secret.Verifier is { } verifier && clientKey is { } key && verifier.MatchesClientKey(key.Span)
            ? new BackendCredential(null, null, verifier, key, holds + " and the client's SCRAM key")
            : new BackendCredential(null, secret.Md5Hash, secret.Verifier, null, holds);
    }

    /// <summary>The answer to an md5 challenge, or null when neither the password nor its hash is known.</summary>
    public string? Md5Response(string user, ReadOnlySpan<byte> salt)
    {
        if (Password is not null)
        {
            return Md5Password.Compute(user, Password, salt);
        }

        return _md5Hash is null ? null : Md5Password.ComputeFromStoredHash(_md5Hash, salt);
    }

    /// <summary>A SCRAM client for one exchange, or null when neither the password nor a ClientKey is known.</summary>
    public ScramSha256Client? CreateScramClient()
    {
        if (Password is not null)
        {
            return new ScramSha256Client(Password);
        }

        return Verifier is not null && ClientKey is { } key
            ? ScramSha256Client.FromClientKey(Verifier, key.Span)
            : null;
    }
}
