using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Pgproxy.Core.Config;
using Pgproxy.Core.Listener;

namespace Pgproxy.Cli;

/// <summary>
/// <c>pgproxy node list|attach N|detach N</c>: pgpool's pcp_node_info, pcp_attach_node and pcp_detach_node, done
/// through the running pgproxy's own SQL port (SHOW POOL_NODES, PGPROXY ATTACH|DETACH NODE) instead of a second
/// protocol. The address comes from the configuration: the Unix socket when there is one (as psql prefers),
/// else the first of <c>listen_addresses</c>. Exit code 0 when done, 1 with a message saying why not.
/// </summary>
internal static class NodeCommand
{
    /// <summary>The SHOW POOL_NODES columns <c>node list</c> prints.</summary>
    private static readonly string[] ListColumns =
        ["node_id", "hostname", "port", "status", "lb_weight", "role", "select_cnt", "last_status_change"];

    public static int Run(ProxyOptions options, CommandLine command, TextWriter output, TextWriter errors) =>
        WithConnection(options, command.NodeUser, "pgproxy node", errors, connection =>
            command.NodeAction switch
            {
                NodeAction.List => List(connection, output),
                NodeAction.Recover => RecoverCommand.Follow(connection, command, output, errors),
                _ => Change(connection, command, output),
            });

    /// <summary>
    /// Connects to the running pgproxy as <paramref name="userOption"/> (-U; else $PGUSER, else the OS user) and runs
    /// <paramref name="body"/>; an error on the way is printed and exits 1, or <paramref name="failure"/> when given.
    /// </summary>
    public static int WithConnection(ProxyOptions options, string? userOption, string applicationName,
        TextWriter errors, Func<NpgsqlConnection, int> body, int failure = 1)
    {
        if (ProxyAddress(options) is not { } address)
        {
            errors.WriteLine($"pgproxy: ERROR: \"{options.ConfigFilePath}\" has pgproxy listen on no TCP address " +
                "and no Unix socket; there is nothing to connect to");
            return failure;
        }

        var user = userOption
                   ?? (Environment.GetEnvironmentVariable("PGUSER") is { Length: > 0 } pgUser
                       ? pgUser
                       : Environment.UserName);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = address.Host,
            Port = address.Port,
            Username = user,
            Database = Environment.GetEnvironmentVariable("PGDATABASE") is { Length: > 0 } database
                ? database
                : "postgres",
            Pooling = false,
            Timeout = 10,
            CommandTimeout = 0, // an ATTACH compares the node with main first, which takes as long as the data
            ApplicationName = applicationName,
        };
        if (Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } password)
        {
            builder.Password = password;
        }

        var where = $"pgproxy at {address.Description} (from \"{options.ConfigFilePath}\") as user \"{user}\"";
        try
        {
            // Only text columns come back: the catalog queries Npgsql runs to load types are not needed.
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
            dataSourceBuilder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
            using var dataSource = dataSourceBuilder.Build();
            using var connection = dataSource.OpenConnection();
            return body(connection);
        }
        catch (PostgresException e)
        {
            errors.WriteLine($"pgproxy: ERROR: {e.MessageText} (SQLSTATE {e.SqlState})");
            if (e.Hint is { Length: > 0 } hint)
            {
                errors.WriteLine($"pgproxy: HINT: {hint}");
            }
            else if (e.SqlState is "28000" or "28P01")
            {
                errors.WriteLine($"pgproxy: HINT: user \"{user}\" was refused; name another with -U USER " +
                    "(default: $PGUSER, else the OS user)");
            }

            return failure;
        }
        catch (NpgsqlException e)
        {
            var reason = e.InnerException is SocketException socket ? socket.Message : e.Message;
            errors.WriteLine($"pgproxy: ERROR: could not talk to {where}: {reason}; is pgproxy running?");
            return failure;
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            errors.WriteLine($"pgproxy: ERROR: could not talk to {where}: {e.Message}");
            return failure;
        }
    }

    private static int List(NpgsqlConnection connection, TextWriter output)
    {
        using var cmd = new NpgsqlCommand("SHOW POOL_NODES", connection);
        using var reader = cmd.ExecuteReader();
        var ordinals = ListColumns.Select(reader.GetOrdinal).ToArray();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add([.. ordinals.Select(o => reader.IsDBNull(o) ? "" : reader.GetString(o))]);
        }

        output.Write(FormatTable(ListColumns, rows));
        return 0;
    }

    private static int Change(NpgsqlConnection connection, CommandLine command, TextWriter output)
    {
        var verb = command.NodeAction == NodeAction.Attach ? "ATTACH" : "DETACH";
        using var cmd = new NpgsqlCommand(
            $"PGPROXY {verb} NODE {command.NodeId.ToString(CultureInfo.InvariantCulture)}" +
            (command.NodeForce ? " FORCE" : ""), connection);
        output.WriteLine(cmd.ExecuteScalar() as string ?? "");
        return 0;
    }

    /// <summary>psql's aligned format: a header, a rule, the rows, and the row count.</summary>
    public static string FormatTable(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var widths = columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IEnumerable<string> cells) =>
            text.Append(string.Join(" | ", cells.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()).Append('\n');
        Line(columns);
        text.AppendJoin("-+-", widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in rows)
        {
            Line(row);
        }

        return text.Append(CultureInfo.InvariantCulture, $"({rows.Count} {(rows.Count == 1 ? "row" : "rows")})\n")
            .ToString();
    }

    /// <summary>
    /// Where the running pgproxy listens, by its configuration: the first Unix socket folder, else the first TCP
    /// address (a wildcard means this host's loopback). Null when it listens on neither.
    /// </summary>
    public static (string Host, int Port, string Description)? ProxyAddress(ProxyOptions options)
    {
        var socketFolder = options.UnixSocketDirectories
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (socketFolder is not null)
        {
            return (socketFolder, options.Port, Path.Combine(socketFolder, $".s.PGSQL.{options.Port}"));
        }

        IReadOnlyList<IPEndPoint> endpoints;
        try
        {
            endpoints = ListenEndpointResolver.TcpEndpoints(options, options.Port);
        }
        catch (SocketException)
        {
            endpoints = [];
        }

        if (endpoints.Count == 0)
        {
            return null;
        }

        // '*' binds a dual-mode IPv6 wildcard, which takes IPv4 too: this host's 127.0.0.1 reaches it.
        var address = endpoints[0].Address;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.Loopback;
        }

        var host = address.ToString();
        return (host, options.Port, address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{host}]:{options.Port}"
            : $"{host}:{options.Port}");
    }
}
