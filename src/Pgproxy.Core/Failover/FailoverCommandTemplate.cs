using System.Buffers;
using System.Globalization;
using System.Text;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Config;

namespace Pgproxy.Core.Failover;

/// <summary>
/// Fills in pgpool's placeholders in <c>failover_command</c> and <c>failback_command</c>:
/// <c>%d %h %p %D</c> the node that failed (or came back): id, host, port, data directory;
/// <c>%m %H %r %R</c> the new main node: id, host, port, data directory;
/// <c>%M</c> the old main node's id; <c>%P %N %S</c> the old primary's id, host and port, which in native
/// replication is the old main node; <c>%%</c> a percent sign. As in pgpool, an unknown <c>%x</c> expands to
/// nothing, a missing node (id -1: no main left) to -1 or an empty string, and nothing is quoted.
/// The text is read once, left to right, so a value containing <c>%</c> is never expanded again.
/// </summary>
internal static class FailoverCommandTemplate
{
    /// <summary>
    /// Characters that would let a value end the command, start another, substitute or redirect: a value holding
    /// one (only an odd host name or data directory could) stops the command from running at all.
    /// </summary>
    private static readonly SearchValues<char> ShellSpecial = SearchValues.Create(";&|$`<>()\\'\"#\n\r");

    public static FailoverCommandExpansion Expand(string template, NodeStatusChange change,
        IReadOnlyList<BackendConfig> backends)
    {
        var node = Find(backends, change.NodeId);
        var newMain = Find(backends, change.MainAfter);
        var oldMain = Find(backends, change.MainBefore);
        var command = new StringBuilder(template.Length + 64);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c != '%')
            {
                command.Append(c);
                continue;
            }

            if (++i == template.Length)
            {
                break; // a lone trailing %: dropped, as pgpool does
            }

            var placeholder = template[i];
            var value = placeholder switch
            {
                'd' => Id(change.NodeId),
                'h' => node?.Hostname ?? "",
                'p' => Port(node),
                'D' => node?.DataDirectory ?? "",
                'm' => Id(change.MainAfter),
                'H' => newMain?.Hostname ?? "",
                'r' => Port(newMain),
                'R' => newMain?.DataDirectory ?? "",
                'M' or 'P' => Id(change.MainBefore),
                'N' => oldMain?.Hostname ?? "",
                'S' => Port(oldMain),
                '%' => "%",
                _ => "",
            };
            if (placeholder != '%' && value.AsSpan().ContainsAny(ShellSpecial))
            {
                return new FailoverCommandExpansion(null,
                    $"%{placeholder} would insert \"{value}\", which holds a shell special character; " +
                    "the command is not run");
            }

            command.Append(value);
        }

        return new FailoverCommandExpansion(command.ToString(), null);
    }

    private static BackendConfig? Find(IReadOnlyList<BackendConfig> backends, int nodeId) =>
        backends.FirstOrDefault(b => b.NodeId == nodeId);

    private static string Id(int nodeId) => nodeId.ToString(CultureInfo.InvariantCulture);

    private static string Port(BackendConfig? backend) =>
        backend is null ? "" : backend.Port.ToString(CultureInfo.InvariantCulture);
}
