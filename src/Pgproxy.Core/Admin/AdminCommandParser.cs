using System.Text;

namespace Pgproxy.Core.Admin;

/// <summary>
/// Recognises pgproxy's admin commands in a simple Query. Runs on every short Query, so the common case (not a
/// SHOW) is decided from the first few bytes without decoding the text.
/// </summary>
internal static class AdminCommandParser
{
    /// <summary>Longest Query or Parse body worth checking; admin commands are short.</summary>
    public const int MaxFrameBody = 256;

    /// <summary>Parses a Query body (text plus its trailing NUL).</summary>
    public static AdminCommand Parse(ReadOnlySpan<byte> body)
    {
        var start = 0;
        while (start < body.Length && IsSpace(body[start]))
        {
            start++;
        }

        // Cheap rejection: "SELECT …" and everything else that is not "SHOW".
        if (body.Length - start < 9 || (body[start] | 0x20) != 's' || (body[start + 1] | 0x20) != 'h')
        {
            return AdminCommand.None;
        }

        var text = Encoding.UTF8.GetString(body[start..]).TrimEnd('\0').Trim().TrimEnd(';').Trim();
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
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
            _ => AdminCommand.None,
        };
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
