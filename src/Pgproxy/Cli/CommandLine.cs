using Pgproxy.Core.Hosting;

namespace Pgproxy.Cli;

/// <summary>
/// pgpool's command line: <c>pgproxy [-f conf] [-a hba] [-n] [-d] [-D]</c> starts,
/// <c>pgproxy [-f conf] -m smart|fast|immediate stop</c> stops, <c>pgproxy [-f conf] reload</c> reloads,
/// <c>pgproxy [-f conf] passwd [-m md5|scram|text|aes] [-k keyfile] [-u user] [--stdin]</c> writes a pool_passwd entry,
/// <c>pgproxy [-f conf] node list|attach N|detach N [-U user]</c> lists, attaches or detaches nodes of the running
/// pgproxy.
/// </summary>
internal sealed record CommandLine
{
    public const string Usage = """
        pgproxy, a PostgreSQL replication proxy in the manner of pgpool-II.

        Usage:
          pgproxy [ -f CONFIG_FILE ] [ -a HBA_CONFIG_FILE ] [ -k KEY_FILE ] [ -n ] [ -d ] [ -D ]
          pgproxy [ -f CONFIG_FILE ] [ -m SHUTDOWN-MODE ] stop
          pgproxy [ -f CONFIG_FILE ] reload
          pgproxy [ -f CONFIG_FILE ] passwd [ -m FORM ] [ -k KEY_FILE ] [ -u USER ] [ --stdin ]
          pgproxy [ -f CONFIG_FILE ] node list | attach NODE_ID | detach NODE_ID [ -U USER ] [ --force ]
          pgproxy [ -f CONFIG_FILE ] node recover NODE_ID [ --wipe ] [ -U USER ]
          pgproxy [ -f CONFIG_FILE ] check [ -U USER ] [ --table TABLE ]... [ --database DATABASE ]...

        Common options:
          -f, --config-file=CONFIG_FILE   configuration file (default ./pgproxy.conf, then
                                          /etc/pgproxy/pgproxy.conf; .yaml/.yml for YAML)
          -a, --hba-file=HBA_CONFIG_FILE  pool_hba.conf (default: next to the configuration file)
          -k, --key-file=KEY_FILE         key for AES passwords (default: pool_key, then
                                          $PGPROXYKEYFILE, then ~/.pgproxykey)
          -h, --help                      print this help
          -v, --version                   print the version

        Start options:
          -n, --dont-detach               stay in the foreground and log to stderr
          -d, --debug                     debug logging
          -D, --discard-status            discard the saved node status (the pgproxy_status file)

        Stop options:
          -m, --mode=SHUTDOWN-MODE        smart (wait for clients), fast (disconnect clients, default)
                                          or immediate (exit at once)

        Passwd options (add or replace USER's entry in the pool_passwd file the configuration names):
          -m, --mode=FORM                 aes (default: encrypted with the key file), text (clear
                                          text), md5 (md5 clients and backends only) or scram (a
                                          SCRAM-SHA-256 verifier; give the node's own verifier from
                                          pg_authid on stdin for pgproxy to log into SCRAM nodes)
          -u, --username=USER             the user (default: the current OS user)
          --stdin                         read the password from the first line of standard input
                                          instead of asking on the terminal

        Node commands (through the running pgproxy's port or Unix socket, as the configuration names them):
          node list                       show the nodes and their status (SHOW POOL_NODES)
          node attach NODE_ID             bring a down node back, compared with main first (PGPROXY ATTACH NODE)
          node detach NODE_ID             take a node out of service (PGPROXY DETACH NODE); never the last one
          node attach NODE_ID --force     attach a down node without comparing it with main first
          node recover NODE_ID [--wipe]   copy a down node from main while clients write, catch it up by
                                          logical replication, attach it and verify it (PGPROXY RECOVER
                                          NODE); --wipe drops its databases first

        Consistency check (through the running pgproxy, as node commands):
          check                           compare every live node with main at one point in time: row
                                          counts and hashes per primary-key range, columns, sequences;
                                          exit 0 identical, 1 differences found, 2 could not check
          --table TABLE                   only this table (name or schema.name; repeatable)
          --database DATABASE             only this database (repeatable)
          -U, --username=USER             connect as USER (default: $PGUSER, else the current OS user);
                                          attach and detach need a user listed in admin_users. The
                                          password comes from $PGPASSWORD (or ~/.pgpass), the database
                                          from $PGDATABASE (default postgres)
        """;

    public CommandKind Kind { get; init; } = CommandKind.Start;

    public string? ConfigFile { get; init; }

    public string? HbaFile { get; init; }

    public bool Foreground { get; init; }

    public bool Debug { get; init; }

    public bool DiscardStatus { get; init; }

    public ShutdownMode StopMode { get; init; } = ShutdownMode.Fast;

    /// <summary><c>-k</c>: the AES key file, for the server and for <c>passwd</c>.</summary>
    public string? KeyFile { get; init; }

    /// <summary><c>passwd -m</c>: aes, text, md5 or scram.</summary>
    public string PasswordForm { get; init; } = "aes";

    /// <summary><c>passwd -u</c>; null means the current OS user.</summary>
    public string? PasswordUser { get; init; }

    /// <summary><c>passwd --stdin</c>.</summary>
    public bool PasswordFromStdin { get; init; }

    /// <summary><c>node</c>: list, attach or detach.</summary>
    public NodeAction NodeAction { get; init; }

    /// <summary><c>node attach|detach</c>: the node id.</summary>
    public int NodeId { get; init; } = -1;

    /// <summary><c>node -U</c>; null means $PGUSER, else the current OS user.</summary>
    public string? NodeUser { get; init; }

    /// <summary><c>node attach N --force</c>: attach without comparing with main.</summary>
    public bool NodeForce { get; init; }

    /// <summary><c>node recover N --wipe</c>: drop the node's databases first.</summary>
    public bool NodeWipe { get; init; }

    /// <summary><c>check --table</c>: the tables to compare (empty: all).</summary>
    public IReadOnlyList<string> CheckTables { get; init; } = [];

    /// <summary><c>check --database</c>: the databases to compare (empty: all).</summary>
    public IReadOnlyList<string> CheckDatabases { get; init; } = [];

    /// <summary>Set when this process is the detached child a plain <c>pgproxy</c> started.</summary>
    public bool DetachedChild { get; init; }

    /// <summary>Parses the arguments; returns null and an error message for anything malformed.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args, out string? error)
    {
        var result = ReadArguments(args, out var mode, out error);
        if (result is null || result.Kind is CommandKind.Help or CommandKind.Version)
        {
            return result;
        }

        if (result.Kind is CommandKind.Node or CommandKind.Check && result.PasswordUser is not null)
        {
            // psql's long option: --username (or -u) names the user to connect as.
            result = result with { NodeUser = result.NodeUser ?? result.PasswordUser, PasswordUser = null };
        }

        error = MisplacedOption(result);
        if (error is not null)
        {
            return null;
        }

        return mode is null ? result : WithMode(result, mode, out error);
    }

    /// <summary>
    /// Reads the arguments in order, stopping at <c>-h</c> or <c>-v</c>. <paramref name="mode"/> is <c>-m</c>'s
    /// value, kept aside because what it means depends on the command, which may come after it.
    /// </summary>
    private static CommandLine? ReadArguments(IReadOnlyList<string> args, out string? mode, out string? error)
    {
        error = null;
        mode = null;
        var result = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
            {
                inlineValue = arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..];
                arg = arg[..arg.IndexOf('=', StringComparison.Ordinal)];
            }

            if (arg is "-h" or "--help")
            {
                return result with { Kind = CommandKind.Help };
            }

            if (arg is "-v" or "--version")
            {
                return result with { Kind = CommandKind.Version };
            }

            if (!TakesValue(arg))
            {
                result = WithFlagOrCommand(result, args, ref i, arg, out error);
                if (error is not null)
                {
                    return null;
                }

                continue;
            }

            var value = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
            if (value is null)
            {
                error = $"option \"{arg}\" requires a value";
                return null;
            }

            if (arg is "-m" or "--mode")
            {
                mode = value;
            }
            else
            {
                result = WithValue(result, arg, value);
            }
        }

        return result;
    }

    private static bool TakesValue(string option) =>
        option is "-f" or "--config-file" or "-a" or "--hba-file" or "-m" or "--mode" or "-k" or "--key-file"
            or "-u" or "--username" or "-U" or "--table" or "--database";

    /// <summary>An option that <see cref="TakesValue"/>, but <c>-m</c>, with its value.</summary>
    private static CommandLine WithValue(CommandLine result, string option, string value) => option switch
    {
        "-f" or "--config-file" => result with { ConfigFile = value },
        "-a" or "--hba-file" => result with { HbaFile = value },
        "-k" or "--key-file" => result with { KeyFile = value },
        "-u" or "--username" => result with { PasswordUser = value },
        "-U" => result with { NodeUser = value },
        "--table" => result with { CheckTables = [.. result.CheckTables, value] },
        "--database" => result with { CheckDatabases = [.. result.CheckDatabases, value] },
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, "not an option with a value"),
    };

    /// <summary>An option without a value, or a command word (<c>node</c> reads the words after it).</summary>
    private static CommandLine WithFlagOrCommand(CommandLine result, IReadOnlyList<string> args, ref int i,
        string arg, out string? error)
    {
        error = null;
        switch (arg)
        {
            case "--stdin":
                return result with { PasswordFromStdin = true };
            case "-n" or "--dont-detach":
                return result with { Foreground = true };
            case "-d" or "--debug":
                return result with { Debug = true };
            case "-D" or "--discard-status":
                return result with { DiscardStatus = true };
            case "--detached-child":
                return result with { DetachedChild = true, Foreground = true };
            case "--force":
                return result with { NodeForce = true };
            case "--wipe":
                return result with { NodeWipe = true };
            case "stop":
                return result with { Kind = CommandKind.Stop };
            case "reload":
                return result with { Kind = CommandKind.Reload };
            case "passwd":
                return result with { Kind = CommandKind.Passwd };
            case "check":
                return result with { Kind = CommandKind.Check };
            case "node":
                return ParseNode(result, args, ref i, out error);
            default:
                error = $"unrecognized argument \"{args[i]}\"";
                return result;
        }
    }

    /// <summary>An option given with a command it does not apply to, as the error message; null when none is.</summary>
    private static string? MisplacedOption(CommandLine result)
    {
        if (result.NodeWipe && !(result.Kind == CommandKind.Node && result.NodeAction == NodeAction.Recover))
        {
            return "--wipe is only valid with \"node recover\"";
        }

        if ((result.CheckTables.Count > 0 || result.CheckDatabases.Count > 0) && result.Kind != CommandKind.Check)
        {
            return "--table and --database are only valid with \"check\"";
        }

        if (result.NodeForce && !(result.Kind == CommandKind.Node && result.NodeAction == NodeAction.Attach))
        {
            return "--force is only valid with \"node attach\"";
        }

        if (result.NodeUser is not null && result.Kind is not (CommandKind.Node or CommandKind.Check))
        {
            return "-U is only valid with \"node\" and \"check\"";
        }

        if ((result.PasswordUser is not null || result.PasswordFromStdin) && result.Kind != CommandKind.Passwd)
        {
            return "-u and --stdin are only valid with \"passwd\"";
        }

        return null;
    }

    /// <summary><c>-m</c>: the password form for <c>passwd</c>, the shutdown mode for <c>stop</c>.</summary>
    private static CommandLine? WithMode(CommandLine result, string mode, out string? error)
    {
        error = null;
        if (result.Kind == CommandKind.Passwd)
        {
            if (mode.ToLowerInvariant() is not ("aes" or "text" or "md5" or "scram"))
            {
                error = $"invalid password form \"{mode}\" (aes, text, md5 or scram)";
                return null;
            }

            return result with { PasswordForm = mode.ToLowerInvariant() };
        }

        if (result.Kind != CommandKind.Stop)
        {
            error = "-m is only valid with \"stop\" and \"passwd\"";
            return null;
        }

        ShutdownMode? parsed = mode.ToLowerInvariant() switch
        {
            "s" or "smart" => ShutdownMode.Smart,
            "f" or "fast" => ShutdownMode.Fast,
            "i" or "immediate" => ShutdownMode.Immediate,
            _ => null,
        };
        if (parsed is null)
        {
            error = $"invalid shutdown mode \"{mode}\" (smart, fast or immediate)";
            return null;
        }

        return result with { StopMode = parsed.Value };
    }

    /// <summary><c>node list</c>, <c>node attach N</c>, <c>node detach N</c>: the words after <c>node</c>.</summary>
    private static CommandLine ParseNode(CommandLine result, IReadOnlyList<string> args, ref int i,
        out string? error)
    {
        error = null;
        result = result with { Kind = CommandKind.Node };
        if (i + 1 >= args.Count)
        {
            error = "\"node\" needs an action: list, attach NODE_ID or detach NODE_ID";
            return result;
        }

        var action = args[++i];
        switch (action)
        {
            case "list":
                return result with { NodeAction = NodeAction.List };
            case "attach" or "detach" or "recover":
                if (i + 1 >= args.Count)
                {
                    error = $"\"node {action}\" needs a node id";
                    return result;
                }

                var id = args[++i];
                if (!int.TryParse(id, System.Globalization.NumberStyles.None,
                        System.Globalization.CultureInfo.InvariantCulture, out var nodeId))
                {
                    error = $"invalid node id \"{id}\" (a whole number, as in SHOW POOL_NODES)";
                    return result;
                }

                return result with
                {
                    NodeAction = action switch
                    {
                        "attach" => NodeAction.Attach,
                        "recover" => NodeAction.Recover,
                        _ => NodeAction.Detach,
                    },
                    NodeId = nodeId,
                };
            default:
                error = $"unknown node action \"{action}\" (list, attach NODE_ID or detach NODE_ID)";
                return result;
        }
    }

    /// <summary>The configuration file to read: <c>-f</c>, else ./pgproxy.conf, else /etc/pgproxy/pgproxy.conf.</summary>
    public string ResolveConfigFile()
    {
        if (ConfigFile is not null)
        {
            return Path.GetFullPath(ConfigFile);
        }

        var local = Path.GetFullPath("pgproxy.conf");
        return File.Exists(local) ? local : "/etc/pgproxy/pgproxy.conf";
    }
}
