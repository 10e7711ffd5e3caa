using System.Text.RegularExpressions;

namespace Pgproxy.Core.Admin;

/// <summary>
/// Masks credentials written inside free text — a <c>failover_command</c>, a connection string, what a hook
/// printed — so that text can be shown to any client or written to the log. What counts as a credential:
/// the password of a URI (<c>scheme://user:secret@host</c>); the value of an assignment whose name says it holds
/// a secret (<c>password=</c>, <c>PGPASSWORD=</c>, <c>--db-password=</c>, <c>"api_token": "…"</c>,
/// <c>MYSQL_PWD=</c>, <c>client_secret: …</c>); an <c>Authorization:</c> header or a <c>Bearer</c> token;
/// <c>curl -u user:secret</c>; <c>sshpass -p secret</c>. Names that only point at a secret (<c>PGPASSFILE</c>,
/// <c>password_file</c>, <c>secret_dir</c>) and ordinary values (<c>host:5432</c>, paths, <c>%d</c>) are left alone.
/// A space-separated <c>--password value</c> is left alone on purpose: <c>psql --password</c> takes no value, so
/// the next word is a database name or another option.
/// </summary>
internal static partial class EmbeddedSecrets
{
    /// <summary>Words that make an assignment's name a secret's name wherever they appear in it (PGPASSWORD).</summary>
    private static readonly string[] SecretWords =
    [
        "password", "passwd", "passphrase", "secret", "token", "apikey", "authkey", "privatekey", "credential",
    ];

    /// <summary>Short words that count only as a whole part of the name (MYSQL_PWD, but not "bypass").</summary>
    private static readonly string[] SecretParts = ["pass", "pwd", "pw"];

    /// <summary>A last name part that says the value is where the secret is, or describes it, not the secret.</summary>
    private static readonly string[] DescriptiveParts =
    [
        "file", "path", "dir", "directory", "command", "cmd", "encryption", "url", "uri", "type", "method",
        "length", "prompt", "user", "username", "name", "id", "expiry", "expires", "ttl",
    ];

    /// <summary>
    /// The text with every credential found replaced by <see cref="ConfigSecrets.Mask"/> (quotes around a
    /// masked value go with it, so its length is not shown either).
    /// </summary>
    public static string Mask(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var masked = UriPassword().Replace(text, KeepPrefix);
        masked = AuthorizationHeader().Replace(masked, KeepPrefix);
        masked = BearerToken().Replace(masked, KeepPrefix);
        masked = CurlUser().Replace(masked, KeepPrefix);
        masked = SshpassPassword().Replace(masked, KeepPrefix);
        return Assignment().Replace(masked, m =>
            IsSecretName(m.Groups["key"].ValueSpan) && !IsMasked(m.Groups["value"].ValueSpan)
                ? m.Groups["prefix"].Value + ConfigSecrets.Mask
                : m.Value);
    }

    /// <summary>True when an assignment to <paramref name="name"/> (any case, any prefix) holds a secret.</summary>
    public static bool IsSecretName(ReadOnlySpan<char> name)
    {
        Span<char> lower = stackalloc char[Math.Min(name.Length, 128)];
        var length = name[..lower.Length].ToLowerInvariant(lower);
        lower = lower[..length];
        var lastSeparator = lower.LastIndexOfAny("_-.");
        var lastPart = lower[(lastSeparator + 1)..];
        foreach (var descriptive in DescriptiveParts)
        {
            if (lastPart.SequenceEqual(descriptive) && lastSeparator >= 0)
            {
                return false;
            }
        }

        Span<char> compact = stackalloc char[lower.Length];
        var compactLength = 0;
        foreach (var c in lower)
        {
            if (c is not ('_' or '-' or '.'))
            {
                compact[compactLength++] = c;
            }
        }

        compact = compact[..compactLength];
        foreach (var word in SecretWords)
        {
            if (compact.Contains(word, StringComparison.Ordinal))
            {
                return true;
            }
        }

        foreach (var part in lower.SplitAny("_-."))
        {
            var text = lower[part];
            foreach (var word in SecretParts)
            {
                if (text.SequenceEqual(word))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsMasked(ReadOnlySpan<char> value) => value.SequenceEqual(ConfigSecrets.Mask);

    private static string KeepPrefix(Match match) => match.Groups["prefix"].Value + ConfigSecrets.Mask;

    /// <summary>
    /// <c>scheme://user:secret@host</c>. The secret runs to the last '@' before the host (an unencoded '@' in a
    /// password must not leave its tail visible) and never crosses '/', so <c>http://host:8080/a@b</c> is not a
    /// password.
    /// </summary>
    [GeneratedRegex("""(?<prefix>\b[a-z][a-z0-9+.\-]*://[^\s/?#@:'"]*:)[^\s/?#'"]+(?=@)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UriPassword();

    /// <summary>
    /// <c>name=value</c>, <c>name: value</c>, <c>--name=value</c>, <c>"name": "value"</c>: a name not glued to
    /// a word before it, then the value quoted, or up to a space, quote or shell/list separator.
    /// </summary>
    [GeneratedRegex("""(?<prefix>(?<![\w.\-$])-{0,2}(?<q>["']?)(?<key>[a-z_][\w.\-]*)\k<q>\s*[:=]\s*)(?<value>'[^']*'|"[^"]*"|[^\s'",;&|)}\]]+)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Assignment();

    /// <summary><c>Authorization: Bearer abc</c>, <c>authorization=Basic abc</c>: the credential after the scheme.</summary>
    [GeneratedRegex("""(?<prefix>\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|negotiate)\s+)?)[^\s'",;]+""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeader();

    /// <summary>A bearer token on its own (a header split over arguments): token-like text of 8 characters or more.</summary>
    [GeneratedRegex("""(?<prefix>\bbearer\s+)(?!\*{8})[A-Za-z0-9._~+/\-]{8,}=*""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BearerToken();

    /// <summary>
    /// <c>curl -u user:secret</c> / <c>--user</c> / <c>--proxy-user</c>. Only after curl or wget: other tools'
    /// <c>-u 1000:1000</c> is a uid and gid.
    /// </summary>
    [GeneratedRegex("""(?<=\b(?:curl|wget)\b[^;&|\n]*)(?<prefix>(?<!\S)(?:-u|--user|--proxy-user)(?:\s+|=)['"]?[^\s:'"]*:)[^\s'"]+""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CurlUser();

    /// <summary><c>sshpass -p secret</c> (common in failover scripts that reach another host).</summary>
    [GeneratedRegex("""(?<prefix>\bsshpass\s+-p\s*)(?:'[^']*'|"[^"]*"|\S+)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SshpassPassword();
}
