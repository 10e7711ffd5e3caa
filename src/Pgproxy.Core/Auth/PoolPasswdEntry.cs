namespace Pgproxy.Core.Auth;

/// <summary>
/// One pool_passwd line as written: the user, the kind of secret and its text after the prefix (the base64 of an
/// AES entry is not decrypted yet, so the file can be read and rewritten without the key).
/// </summary>
internal sealed record PoolPasswdEntry(string User, PasswordKind Kind, string Secret, int Line);
