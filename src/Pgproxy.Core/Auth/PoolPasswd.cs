using Pgproxy.Core.Config;

namespace Pgproxy.Core.Auth;

/// <summary>
/// pool_passwd as loaded: each user's <see cref="PasswordSecret"/>, AES entries already decrypted. Immutable; a
/// reload builds a new one. A file with errors, or an AES entry that cannot be decrypted, fails the load (the
/// caller keeps the old one), because a half-read file would lock users out or, worse, let the wrong one in.
/// </summary>
internal sealed class PoolPasswd
{
    private readonly Dictionary<string, PasswordSecret> _secrets;

    private PoolPasswd(string path, Dictionary<string, PasswordSecret> secrets, string? key)
    {
        Path = path;
        _secrets = secrets;
        Key = key;
    }

    /// <summary>No pool_passwd (<c>pool_passwd = ''</c>): nobody can be verified by password.</summary>
    public static PoolPasswd Empty { get; } = new("", new(StringComparer.Ordinal), null);

    /// <summary>The file read; '' for <see cref="Empty"/>.</summary>
    public string Path { get; }

    /// <summary>The AES key found at load time, for other AES passwords in the configuration; null if none.</summary>
    public string? Key { get; }

    public int Count => _secrets.Count;

    public PasswordSecret? Find(string user) => _secrets.GetValueOrDefault(user);

    /// <summary>
    /// Loads <paramref name="path"/> ('' gives <see cref="Empty"/>) and decrypts its AES entries with the key in
    /// <paramref name="keyFile"/> (see <see cref="PoolKey.ResolvePath"/>). Throws
    /// <see cref="ProxyConfigurationException"/> listing every problem as <c>file:line: message</c>; harmless
    /// findings (a key file others can read) go to <paramref name="warnings"/>.
    /// </summary>
    public static PoolPasswd Load(string path, string keyFile, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(warnings);
        var key = PoolKey.TryRead(keyFile, out var keyProblem, out var keyWarning);
        if (keyWarning is not null)
        {
            warnings.Add(keyWarning);
        }

        if (path.Length == 0)
        {
            return new PoolPasswd("", new(StringComparer.Ordinal), key);
        }

        return Build(PoolPasswdFile.Load(path), path, key,
            key is null
                ? keyProblem ?? $"no pool key file: \"{keyFile}\" does not exist (give one with -k or pool_key)"
                : $"it was not encrypted with the key in \"{keyFile}\"");
    }

    /// <summary>A store from text, for tests: <paramref name="key"/> decrypts its AES entries.</summary>
    internal static PoolPasswd FromText(string text, string? key = null) =>
        Build(PoolPasswdFile.Parse(text, "pool_passwd"), "pool_passwd", key, "not decryptable with the key given");

    private static PoolPasswd Build(PoolPasswdParseResult parsed, string path, string? key, string whyNotDecrypted)
    {
        var problems = parsed.Errors.Select(e => e.ToString()).ToList();
        var secrets = new Dictionary<string, PasswordSecret>(StringComparer.Ordinal);
        foreach (var entry in parsed.Entries)
        {
            if (ToSecret(entry, key) is { } secret)
            {
                secrets[entry.User] = secret;
                continue;
            }

            problems.Add(new PoolPasswdError(path, entry.Line,
                $"cannot decrypt the AES password of user \"{entry.User}\": {whyNotDecrypted}").ToString());
        }

        if (problems.Count > 0)
        {
            throw new ProxyConfigurationException(problems);
        }

        return new PoolPasswd(path, secrets, key);
    }

    /// <summary>
    /// The usable secret of an entry; null for an AES entry that <paramref name="key"/> cannot decrypt.
    /// </summary>
    public static PasswordSecret? ToSecret(PoolPasswdEntry entry, string? key)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Kind switch
        {
            PasswordKind.Md5 => PasswordSecret.FromMd5Hash(entry.Secret),
            PasswordKind.ScramSha256 => PasswordSecret.FromScram(Protocol.Auth.ScramVerifier.Parse(entry.Secret)),
            PasswordKind.Aes => key is not null && AesPassword.TryDecrypt(entry.Secret, key, out var plain)
                ? PasswordSecret.FromPlain(plain, PasswordKind.Aes)
                : null,
            _ => PasswordSecret.FromPlain(entry.Secret),
        };
    }
}
