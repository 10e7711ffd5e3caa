using System.Globalization;
using System.Text;

namespace Pgproxy.Core.Admin;

/// <summary>
/// Recognises pgproxy's admin commands in a simple Query. Runs on every short Query, so the common case (neither
/// SHOW nor PGPROXY) is decided from the first two bytes without decoding the text.
/// </summary>
internal static class AdminCommandParser
{
    /// <summary>Longest Query or Parse body worth checking; admin commands are short.</summary>
    public const int MaxFrameBody = 1024;

    /// <summary>Parses a Query body (text plus its trailing NUL).</summary>
    public static AdminCommand Parse(ReadOnlySpan<byte> body) => Parse(body, out _);

    /// <summary>
    /// Parses a Query body (text plus its trailing NUL); for ATTACH/DETACH NODE also the node id, -1 when it is
    /// not a whole number (the command still counts as pgproxy's, so the user hears what is wrong with it).
    /// </summary>
    public static AdminCommand Parse(ReadOnlySpan<byte> body, out int nodeId)
    {
        var command = ParseWithArguments(body, out var arguments);
        nodeId = arguments.NodeId;
        return command;
    }

    /// <summary>
    /// Parses a Query body, with what follows the command word: the node id and FORCE of ATTACH/DETACH NODE, the
    /// TABLE and DATABASE lists of PGPROXY CHECK. Malformed arguments still make the command pgproxy's (node id -1,
    /// <see cref="AdminArguments.Problem"/> set), so the user hears what is wrong with it.
    /// </summary>
    public static AdminCommand ParseWithArguments(ReadOnlySpan<byte> body, out AdminArguments arguments)
    {
        arguments = AdminArguments.None;
        var start = 0;
        while (start < body.Length && IsSpace(body[start]))
        {
            start++;
        }

        // Cheap rejection: "SELECT …" and everything else that is not "SHOW" or "PGPROXY".
        if (body.Length - start < 9 || !(IsPair(body, start, 's', 'h') || IsPair(body, start, 'p', 'g')))
        {
            return AdminCommand.None;
        }

        var text = Encoding.UTF8.GetString(body[start..]).TrimEnd('\0').Trim().TrimEnd(';').Trim();
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 2 && parts[0].Equals("pgproxy", StringComparison.OrdinalIgnoreCase)
                              && parts[1].Equals("check", StringComparison.OrdinalIgnoreCase))
        {
            arguments = CheckArguments.Parse(text);
            return AdminCommand.Check;
        }

        if (parts.Length is 4 or 5 && parts[0].Equals("pgproxy", StringComparison.OrdinalIgnoreCase))
        {
            var command = ParseNodeCommand(parts[..4], out var nodeId);
            var option = parts.Length == 5 ? parts[4].ToUpperInvariant() : null;
            if (option is not null && command is not (AdminCommand.AttachNode or AdminCommand.RecoverNode))
            {
                return AdminCommand.None;
            }

            var force = option == "FORCE" && command == AdminCommand.AttachNode;
            var wipe = option == "WIPE" && command == AdminCommand.RecoverNode;
            arguments = AdminArguments.None with
            {
                NodeId = option is not null && !force && !wipe ? -1 : nodeId,
                Force = force,
                Wipe = wipe,
            };
            return command;
        }

        if (parts.Length != 2 || !parts[0].Equals("show", StringComparison.OrdinalIgnoreCase))
        {
            return AdminCommand.None;
        }

        return parts[1].ToUpperInvariant() switch
        {
            "POOL_NODES" => AdminCommand.PoolNodes,
            "POOL_PROCESSES" => AdminCommand.PoolProcesses,
            "POOL_POOLS" => AdminCommand.PoolPools,
            "POOL_VERSION" => AdminCommand.PoolVersion,
            "POOL_STATUS" => AdminCommand.PoolStatus,
            "POOL_HEALTH_CHECK_STATS" => AdminCommand.PoolHealthCheckStats,
            "POOL_BACKEND_STATS" => AdminCommand.PoolBackendStats,
            "POOL_CHECK" => AdminCommand.PoolCheck,
            "POOL_RECOVERY" => AdminCommand.PoolRecovery,
            _ => AdminCommand.None,
        };
    }

    /// <summary><c>PGPROXY ATTACH NODE n</c> and <c>PGPROXY DETACH NODE n</c> (any case).</summary>
    private static AdminCommand ParseNodeCommand(string[] parts, out int nodeId)
    {
        nodeId = -1;
        if (!parts[2].Equals("node", StringComparison.OrdinalIgnoreCase))
        {
            return AdminCommand.None;
        }

        var command = parts[1].ToUpperInvariant() switch
        {
            "ATTACH" => AdminCommand.AttachNode,
            "DETACH" => AdminCommand.DetachNode,
            "RECOVER" => AdminCommand.RecoverNode,
            _ => AdminCommand.None,
        };
        if (command != AdminCommand.None && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture,
                out var id))
        {
            nodeId = id;
        }

        return command;
    }

    private static bool IsPair(ReadOnlySpan<byte> body, int start, char first, char second) =>
        (body[start] | 0x20) == first && (body[start + 1] | 0x20) == second;

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
