using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Pgproxy.Core.Hba;

/// <summary>
/// Picks the pool_hba.conf record for a client: the first whose type, database, user and address match; none
/// means reject. Host-name addresses are not resolved yet (pgpool does a reverse plus forward lookup), so such
/// records never match.
/// </summary>
public static class HbaMatcher
{
    /// <summary>The first matching record, or null when the client must be rejected.</summary>
    /// <remarks><paramref name="clientAddress"/> is the TCP peer; it is ignored (may be null) for Unix sockets.
    /// <paramref name="walSender"/> changes how the database field is read, as in PostgreSQL (see
    /// <see cref="WalSenderKind"/>).</remarks>
    public static HbaRule? Match(IReadOnlyList<HbaRule> rules, bool isLocal, bool isSsl, string database,
        string user, IPAddress? clientAddress, WalSenderKind walSender = WalSenderKind.None)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(user);
        var address = clientAddress is { IsIPv4MappedToIPv6: true } ? clientAddress.MapToIPv4() : clientAddress;
        foreach (var rule in rules)
        {
            var typeMatches = rule.Type switch
            {
                HbaConnectionType.Local => isLocal,
                HbaConnectionType.Host => !isLocal,
                HbaConnectionType.HostSsl => !isLocal && isSsl,
                _ => !isLocal && !isSsl,
            };
            if (typeMatches
                && rule.Databases.Any(d => DatabaseMatches(d, database, user, walSender))
                && rule.Users.Any(u => NameMatches(u, user, null))
                && (isLocal || (address is not null && AddressMatches(rule.Address!, address))))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>
    /// PostgreSQL's check_db: a physical replication connection names no database, so only the <c>replication</c>
    /// keyword matches it (not even <c>all</c>); every other connection, a logical walsender included, matches as an
    /// ordinary session and never by <c>replication</c>.
    /// </summary>
    private static bool DatabaseMatches(string pattern, string database, string user, WalSenderKind walSender) =>
        walSender == WalSenderKind.Physical
            ? pattern == "replication"
            : pattern != "replication" && NameMatches(pattern, database, user);

    private static bool NameMatches(string pattern, string name, string? user) => pattern switch
    {
        "all" => true,
        "sameuser" when user is not null => string.Equals(name, user, StringComparison.Ordinal),
        // A quoted keyword ("all") is kept with its quotes and names a database or user literally.
        _ when pattern.Length > 2 && pattern[0] == '"' && pattern[^1] == '"' =>
            string.Equals(pattern[1..^1], name, StringComparison.Ordinal),
        _ => string.Equals(pattern, name, StringComparison.Ordinal),
    };

    private static bool AddressMatches(string pattern, IPAddress client)
    {
        switch (pattern)
        {
            case "all":
                return true;
            case "samehost":
                return IPAddress.IsLoopback(client) || LocalAddresses().Any(a => a.Address.Equals(client));
            case "samenet":
                return LocalAddresses().Any(a => InNetwork(client, a.Address, a.PrefixLength));
        }

        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && IPAddress.TryParse(pattern[..slash], out var network)
            && int.TryParse(pattern[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)
            && InNetwork(client, network, bits);
    }

    internal static bool InNetwork(IPAddress client, IPAddress network, int prefixLength)
    {
        if (client.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var a = client.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var i = 0; i < a.Length && prefixLength > 0; i++, prefixLength -= 8)
        {
            var mask = prefixLength >= 8 ? 0xFF : (byte)(0xFF << (8 - prefixLength));
            if ((a[i] & mask) != (b[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    private static List<UnicastIPAddressInformation> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses).ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
        catch (SocketException)
        {
            return [];
        }
    }
}
