using System.Text;
using Pgproxy.Protocol.Auth;

namespace Pgproxy.Core.Auth;

/// <summary>
/// Reads and writes pool_passwd, pgpool-II's format: one <c>user:secret</c> per line, where secret is
/// <c>md5&lt;32 hex&gt;</c>, <c>SCRAM-SHA-256$…</c>, <c>AES&lt;base64&gt;</c>, <c>TEXT&lt;password&gt;</c> or a
/// password without prefix. A backslash escapes the next character in the user name and in a clear-text password (so
/// <c>\:</c> is a colon); an unescaped colon after a clear-text password would start pgpool's backend-user mapping,
/// which pgproxy does not support. Blank lines and lines starting with <c>#</c> are ignored. Every bad line is
/// reported with file and line.
/// </summary>
internal static class PoolPasswdFile
{
    public const string TextPrefix = "TEXT";

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Reads and parses a file; a missing file has no entries (pgpool creates it on first use).</summary>
    public static PoolPasswdParseResult Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return File.Exists(path) ? Parse(File.ReadAllText(path), path) : new PoolPasswdParseResult([], []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new PoolPasswdParseResult([],
                [new PoolPasswdError(path, 0, $"could not read pool_passwd: {e.Message}")]);
        }
    }

    public static PoolPasswdParseResult Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        var entries = new List<PoolPasswdEntry>();
        var errors = new List<PoolPasswdError>();
        var lineOfUser = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            if (!TryParseLine(lines[i].TrimEnd('\r'), lineNo, out var entry, out var error))
            {
                errors.Add(new PoolPasswdError(path, lineNo, error));
                continue;
            }

            if (entry is null)
            {
                continue;
            }

            if (lineOfUser.TryGetValue(entry.User, out var first))
            {
                errors.Add(new PoolPasswdError(path, lineNo,
                    $"user \"{entry.User}\" already has an entry on line {first}"));
                continue;
            }

            lineOfUser[entry.User] = lineNo;
            entries.Add(entry);
        }

        return new PoolPasswdParseResult(entries, errors);
    }

    /// <summary>
    /// The line for <paramref name="user"/> with a secret already in its stored form (prefix included).
    /// </summary>
    public static string FormatLine(string user, string storedSecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(storedSecret);
        var escaped = Escape(user);
        return (escaped[0] == '#' ? "\\" : "") + escaped + ":" + storedSecret;
    }

    /// <summary>
    /// The stored form of a clear-text password: <c>TEXT</c> and the password with <c>\</c> and <c>:</c> escaped.
    /// </summary>
    public static string TextSecret(string password) => TextPrefix + Escape(password);

    /// <summary>
    /// <paramref name="text"/> with the entry of <paramref name="user"/> replaced by <paramref name="line"/>, or the
    /// line appended when the user has none. Every other line, comments and bad lines included, stays as it was.
    /// </summary>
    public static string Upsert(string text, string user, string line)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n').ToList();
        var index = lines.FindIndex(l => TryParseLine(l.TrimEnd('\r'), 0, out var entry, out _) && entry?.User == user);
        if (index >= 0)
        {
            lines[index] = line;
        }
        else
        {
            lines.Add(line);
        }

        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// Parses one line; true with a null entry for a blank or comment line, false with an error for a bad one.
    /// </summary>
    private static bool TryParseLine(string line, int lineNo, out PoolPasswdEntry? entry, out string error)
    {
        entry = null;
        error = "";
        if (string.IsNullOrWhiteSpace(line) || line[0] == '#')
        {
            return true;
        }

        var user = Unescape(line, 0, out var colon);
        if (colon < 0)
        {
            error = "missing ':' between user name and password";
            return false;
        }

        if (user.Length == 0)
        {
            error = "empty user name";
            return false;
        }

        var secret = line[(colon + 1)..];
        if (secret.Length == 0)
        {
            error = $"empty password for user \"{user}\"";
            return false;
        }

        if (!TryClassify(secret, user, escaped: true, out var kind, out var value, out error))
        {
            return false;
        }

        entry = new PoolPasswdEntry(user, kind, value, lineNo);
        return true;
    }

    /// <summary>
    /// pgpool's get_password_type, plus the checks pgpool leaves until a client connects. <paramref name="value"/>
    /// is the secret without its prefix; with <paramref name="escaped"/> (a pool_passwd line) backslashes in a
    /// clear-text password are unescaped, without it (a value in pgproxy.conf) the password is taken as it is.
    /// </summary>
    public static bool TryClassify(string secret, string user, bool escaped, out PasswordKind kind, out string value,
        out string error)
    {
        error = "";
        value = secret;
        kind = PasswordKind.Text;
        if (secret.StartsWith(ScramVerifier.Prefix, StringComparison.Ordinal))
        {
            kind = PasswordKind.ScramSha256;
            if (!ScramVerifier.TryParse(secret, out _))
            {
                error = $"malformed SCRAM-SHA-256 verifier for user \"{user}\" (expected " +
                    "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, as in pg_authid)";
                return false;
            }

            return true;
        }

        if (secret.StartsWith("md5", StringComparison.Ordinal) && secret.Length == Md5Password.StoredHashLength)
        {
            kind = PasswordKind.Md5;
            if (!secret.AsSpan(3).ContainsAnyExcept(HexDigits))
            {
                return true;
            }

            error = $"malformed md5 hash for user \"{user}\": \"md5\" must be followed by 32 hexadecimal digits";
            return false;
        }

        if (secret.StartsWith(AesPassword.Prefix, StringComparison.Ordinal))
        {
            kind = PasswordKind.Aes;
            value = secret[AesPassword.Prefix.Length..];
            var buffer = new byte[value.Length];
            if (value.Length > 0 && Convert.TryFromBase64String(value, buffer, out _))
            {
                return true;
            }

            error = $"malformed AES password for user \"{user}\": \"AES\" must be followed by base64 text";
            return false;
        }

        // Any other text is a clear-text password, with or without the TEXT prefix.
        var start = secret.StartsWith(TextPrefix, StringComparison.Ordinal) ? TextPrefix.Length : 0;
        var colon = -1;
        value = escaped ? Unescape(secret, start, out colon) : secret[start..];
        if (colon >= 0)
        {
            error = $"unescaped ':' in the password of user \"{user}\": write it as '\\:' (pgpool's " +
                "user:password:backend_user:backend_password mapping is not supported)";
            return false;
        }

        if (value.Length == 0)
        {
            error = $"empty password for user \"{user}\"";
            return false;
        }

        return true;
    }

    /// <summary>Copies from <paramref name="start"/> dropping escaping backslashes, up to an unescaped ':' (whose
    /// index goes to <paramref name="colon"/>, -1 when there is none) or the end.</summary>
    private static string Unescape(string text, int start, out int colon)
    {
        var result = new StringBuilder(text.Length - start);
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                result.Append(text[++i]);
            }
            else if (c == ':')
            {
                colon = i;
                return result.ToString();
            }
            else
            {
                result.Append(c);
            }
        }

        colon = -1;
        return result.ToString();
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal);
}
