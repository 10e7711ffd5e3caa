using System.Text;
using Npgsql;
using Pgproxy.Core.Auth;
using Pgproxy.Core.Backends;
using Pgproxy.Core.Health;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// How a recovery reaches main and the node: Npgsql connections, libpq settings for pg_dump/psql and the
/// subscription's connection string, all as the user of pgproxy's other own connections (see
/// <see cref="ServiceConnector"/>: health_check_user, or system_db_user when only that is set), who must be a
/// superuser (publications for all tables, subscriptions, roles with their password hashes). The password has to
/// be known in clear text: the node logs in to main with it, and so do the tools.
/// </summary>
internal sealed class RecoveryConnector
{
    private readonly string? _password;

    private RecoveryConnector(string user, string? password, string applicationName)
    {
        User = user;
        _password = password;
        ApplicationName = applicationName;
    }

    public string User { get; }

    public string ApplicationName { get; }

    public static RecoveryConnector From(IRecoveryServices services, int nodeId)
    {
        var (user, configured) = ServiceConnector.Credentials(services.Options);
        var password = ConfiguredPassword.ResolvePlain(configured, user, services.PoolPasswd, out var problem);
        if (problem is not null)
        {
            throw new RecoveryFailure($"the password of user \"{user}\" (health_check_password): {problem}");
        }

        // A hash alone (md5…, SCRAM…) cannot be passed on: go on without, which is fine where the nodes trust.
        return new RecoveryConnector(user, password, RecoveryNames.ApplicationName(nodeId));
    }

    /// <summary>The password for PGPASSWORD, or null when none is known in clear text.</summary>
    public string? Password => _password;

    public async Task<NpgsqlConnection> OpenAsync(BackendNode node, string database, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = node.Config.Hostname,
            Port = node.Config.Port,
            Database = database,
            Username = User,
            Password = _password,
            ApplicationName = ApplicationName,
            // Connections of their own, never reused: a database the recovery drops must not be held by a pool.
            Pooling = false,
            Timeout = 10,
            CommandTimeout = 0,
            CancellationTimeout = 2000,
            SslMode = SslMode.Prefer,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The libpq connection string with which the node's subscription reaches main's <paramref name="database"/>:
    /// main as pgproxy reaches it, so the node must reach main at the same address (true when they share a host
    /// or a network).
    /// </summary>
    public string Conninfo(BackendNode main, string database)
    {
        var text = new StringBuilder()
            .Append("host=").Append(Quote(main.Config.Hostname))
            .Append(" port=").Append(main.Config.Port)
            .Append(" dbname=").Append(Quote(database))
            .Append(" user=").Append(Quote(User))
            .Append(" application_name=").Append(Quote(ApplicationName));
        if (_password is not null)
        {
            text.Append(" password=").Append(Quote(_password));
        }

        return text.ToString();
    }

    /// <summary>A libpq connection string value: single quotes, with backslash and quote escaped.</summary>
    private static string Quote(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>A string literal for SQL (standard_conforming_strings on).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted SQL identifier.</summary>
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        var result = await command.ExecuteScalarAsync(ct);
        return result is null or DBNull ? default : (T)result;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A parameter; an oid (uint) has to be named, Npgsql does not infer it.</summary>
    private static NpgsqlParameter Parameter(object value) => value switch
    {
        uint => new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid },
        uint[] => new NpgsqlParameter
        {
            Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid,
        },
        _ => new NpgsqlParameter { Value = value },
    };

    /// <summary>Every row as text (null for SQL NULL).</summary>
    public static async Task<List<string?[]>> RowsAsync(NpgsqlConnection connection, string sql, CancellationToken ct,
        params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(ct))
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i),
                    System.Globalization.CultureInfo.InvariantCulture);
            }

            rows.Add(row);
        }

        return rows;
    }
}
