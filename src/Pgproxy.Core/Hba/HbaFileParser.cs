using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pgproxy.Core.Hba;

/// <summary>
/// Parses pool_hba.conf, pg_hba.conf's format as pgpool-II accepts it: <c>local DB USER METHOD [opts]</c> and
/// <c>host|hostssl|hostnossl DB USER ADDRESS METHOD [opts]</c>, where ADDRESS is <c>ip/len</c>, <c>IP MASK</c>, a host
/// name, <c>all</c>, <c>samehost</c> or <c>samenet</c>. Bad records are reported and skipped, all in one pass.
/// </summary>
public static partial class HbaFileParser
{
    /// <summary>The methods pgpool-II implements for clients.</summary>
    public static IReadOnlyList<string> Methods { get; } =
        ["trust", "reject", "password", "md5", "scram-sha-256", "cert", "pam", "ldap"];

    /// <summary>Reads and parses a file; a missing file is one error on line 0.</summary>
    public static HbaParseResult Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HbaParseResult([], [new HbaError(path, 0, $"could not open pool_hba.conf: {ex.Message}")]);
        }
    }

    public static HbaParseResult Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        var rules = new List<HbaRule>();
        var errors = new List<HbaError>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            var line = lines[i].TrimEnd('\r');
            // A trailing backslash continues the record on the next line, as in pg_hba.conf.
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1] + " " + lines[++i].TrimEnd('\r');
            }

            var fields = Tokenize(line, out var error);
            if (error is not null)
            {
                errors.Add(new HbaError(path, lineNo, error));
                continue;
            }

            if (fields.Count == 0)
            {
                continue;
            }

            if (TryBuildRule(fields, lineNo, out var rule, out error))
            {
                rules.Add(rule);
            }
            else
            {
                errors.Add(new HbaError(path, lineNo, error));
            }
        }

        return new HbaParseResult(rules, errors);
    }

    private static bool TryBuildRule(List<List<HbaToken>> fields, int lineNo, out HbaRule rule, out string error)
    {
        rule = null!;
        if (!TryConnectionType(fields[0], out var type, out error))
        {
            return false;
        }

        if (fields.Count < 2)
        {
            error = "end-of-line before database specification";
            return false;
        }

        if (!TryNames(fields[1], "database", out var databases, out error))
        {
            return false;
        }

        if (fields.Count < 3)
        {
            error = "end-of-line before user specification";
            return false;
        }

        if (!TryNames(fields[2], "user", out var users, out error))
        {
            return false;
        }

        var next = 3;
        string? address = null;
        if (type != HbaConnectionType.Local)
        {
            if (fields.Count <= next)
            {
                error = "end-of-line before IP address specification";
                return false;
            }

            if (!TryAddress(fields, ref next, out address, out error))
            {
                return false;
            }
        }

        if (fields.Count <= next)
        {
            error = "end-of-line before authentication method";
            return false;
        }

        if (!TryMethod(fields[next], type, out var method, out error)
            || !TryOptions(fields, next + 1, out var options, out error))
        {
            return false;
        }

        rule = new HbaRule(lineNo, type, databases, users, address, method, options);
        return true;
    }

    private static bool TryConnectionType(List<HbaToken> field, out HbaConnectionType type, out string error)
    {
        type = default;
        if (!TrySingle(field, "connection type", out var token, out error))
        {
            return false;
        }

        switch (token.Quoted ? "" : token.Value.ToUpperInvariant())
        {
            case "LOCAL": type = HbaConnectionType.Local; break;
            case "HOST": type = HbaConnectionType.Host; break;
            case "HOSTSSL": type = HbaConnectionType.HostSsl; break;
            case "HOSTNOSSL": type = HbaConnectionType.HostNoSsl; break;
            default:
                error = $"invalid connection type \"{token.Value}\": expected local, host, hostssl or hostnossl";
                return false;
        }

        return true;
    }

    /// <summary>The authentication method, lower-cased; one pgpool implements and the connection type allows.</summary>
    private static bool TryMethod(List<HbaToken> field, HbaConnectionType type, out string method, out string error)
    {
        method = "";
        if (!TrySingle(field, "authentication method", out var token, out error))
        {
            return false;
        }

        method = token.Value.ToLowerInvariant();
        if (!Methods.Contains(method))
        {
            error = $"invalid authentication method \"{token.Value}\": pgproxy supports "
                + string.Join(", ", Methods);
            return false;
        }

        if (method == "cert" && type != HbaConnectionType.HostSsl)
        {
            error = "cert authentication is only supported on hostssl connections";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The name=value options from field <paramref name="first"/> on; a later name replaces an earlier.
    /// </summary>
    private static bool TryOptions(List<List<HbaToken>> fields, int first, out Dictionary<string, string> options,
        out string error)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        for (var i = first; i < fields.Count; i++)
        {
            foreach (var token in fields[i])
            {
                var eq = token.Value.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    error = $"authentication option not in name=value format: \"{token.Value}\"";
                    return false;
                }

                options[token.Value[..eq]] = token.Value[(eq + 1)..];
            }
        }

        return true;
    }

    private static bool TryNames(List<HbaToken> field, string what, out List<string> names, out string error)
    {
        names = [];
        error = "";
        foreach (var token in field)
        {
            if (!token.Quoted && token.Value.StartsWith('@'))
            {
                error = $"{what} list \"{token.Value}\": @file includes are not supported by pgproxy; "
                    + "list the names in pool_hba.conf";
                return false;
            }

            if (!token.Quoted && what == "user" && token.Value.StartsWith('+'))
            {
                error = $"group membership \"{token.Value}\" is not supported: pgproxy does not know roles";
                return false;
            }

            if (token.IsKeyword("samerole") || token.IsKeyword("samegroup"))
            {
                error = $"\"{token.Value}\" is not supported: pgproxy does not know roles";
                return false;
            }

            var isKeyword = token.Value is "all" or "sameuser" or "replication";
            names.Add(token.Quoted && isKeyword ? "\"" + token.Value + "\"" : token.Value);
        }

        return true;
    }

    private static bool TryAddress(List<List<HbaToken>> fields, ref int next, out string? address, out string error)
    {
        address = null;
        if (!TrySingle(fields[next], "address", out var token, out error))
        {
            return false;
        }

        next++;
        var text = token.Value;
        if (!token.Quoted && (token.IsKeyword("all") || token.IsKeyword("samehost") || token.IsKeyword("samenet")))
        {
            address = text.ToLowerInvariant();
            return true;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!IPAddress.TryParse(text[..slash], out var ip))
            {
                error = $"invalid IP address \"{text[..slash]}\"";
                return false;
            }

            var maxBits = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
                || bits > maxBits)
            {
                error = $"invalid CIDR mask in address \"{text}\": expected 0 to {maxBits}";
                return false;
            }

            address = $"{ip}/{bits}";
            return true;
        }

        if (IPAddress.TryParse(text, out var plain))
        {
            if (fields.Count <= next)
            {
                error = $"end-of-line before netmask specification after \"{text}\"";
                return false;
            }

            if (!TrySingle(fields[next], "netmask", out var maskToken, out error))
            {
                return false;
            }

            next++;
            if (!IPAddress.TryParse(maskToken.Value, out var mask) || mask.AddressFamily != plain.AddressFamily
                || MaskLength(mask) is not { } length)
            {
                error = $"invalid IP mask \"{maskToken.Value}\" for address \"{text}\"";
                return false;
            }

            address = $"{plain}/{length}";
            return true;
        }

        if (text.Length == 0 || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')))
        {
            error = $"invalid IP address or host name \"{text}\"";
            return false;
        }

        address = text;
        return true;
    }

    /// <summary>The prefix length of a netmask, or null when its one bits are not contiguous.</summary>
    private static int? MaskLength(IPAddress mask)
    {
        var length = 0;
        var seenZero = false;
        foreach (var b in mask.GetAddressBytes())
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                if ((b & (1 << bit)) != 0)
                {
                    if (seenZero)
                    {
                        return null;
                    }

                    length++;
                }
                else
                {
                    seenZero = true;
                }
            }
        }

        return length;
    }

    private static bool TrySingle(List<HbaToken> field, string what, out HbaToken token, out string error)
    {
        token = field[0];
        error = "";
        if (field.Count == 1)
        {
            return true;
        }

        error = $"multiple values in {what} field: \"{string.Join(",", field.Select(t => t.Value))}\"";
        return false;
    }
}
