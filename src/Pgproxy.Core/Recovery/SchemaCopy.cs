using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Pgproxy.Core.Recovery;

/// <summary>
/// The schema phase (issue 15 item 3): with WIPE the node's databases are dropped first; then main's roles (with
/// their password hashes) go to the node, minus the CREATE ROLE of roles it has already, every database of main is
/// created where missing, and each database's schema (pg_dump --schema-only from main) is applied with psql.
/// Indexes come with the schema, before the data: the catch-up applies UPDATEs and DELETEs by key on the node,
/// which without them would scan whole tables per row.
/// </summary>
internal sealed partial class SchemaCopy(RecoveryConnector connector, PostgresTools tools, RecoveryPlan plan)
{
    [GeneratedRegex("""^CREATE ROLE ("(?:[^"]|"")+"|[^\s;]+);\s*$""")]
    private static partial Regex CreateRole();

    public async Task WipeAsync(CancellationToken ct)
    {
        if (plan.NodeDatabasesToDrop.Count == 0)
        {
            return;
        }

        // template1 is always there: the connection must be to none of the databases dropped.
        await using var connection = await connector.OpenAsync(plan.Node, "template1", ct);
        foreach (var database in plan.NodeDatabasesToDrop)
        {
            await RollBackPreparedAsync(connection, database, ct);
            await RecoveryConnector.ExecuteAsync(connection,
                $"DROP DATABASE {RecoveryConnector.Ident(database)} WITH (FORCE)", ct);
        }
    }

    /// <summary>
    /// A node taken out between its PREPARE TRANSACTION and the COMMIT PREPARED keeps the prepared transaction
    /// (the resolver looks after live nodes only), and DROP DATABASE … WITH (FORCE) refuses a database that has one.
    /// Its data is being thrown away: the prepared transactions go too, each from its own database, as
    /// PostgreSQL requires.
    /// </summary>
    private async Task RollBackPreparedAsync(NpgsqlConnection connection, string database, CancellationToken ct)
    {
        var prepared = await RecoveryConnector.RowsAsync(connection,
            "SELECT gid FROM pg_catalog.pg_prepared_xacts WHERE database = $1", ct, database);
        if (prepared.Count == 0)
        {
            return;
        }

        await using var inDatabase = await connector.OpenAsync(plan.Node, database, ct);
        foreach (var row in prepared)
        {
            await RecoveryConnector.ExecuteAsync(inDatabase, $"ROLLBACK PREPARED {RecoveryConnector.Literal(row[0]!)}", ct);
        }
    }

    public async Task CopyRolesAsync(CancellationToken ct)
    {
        var dump = await tools.RunAsync("pg_dumpall", plan.Main, "postgres", ["--globals-only", "--no-tablespaces"],
            stdin: null, ct);
        HashSet<string> existing;
        await using (var connection = await connector.OpenAsync(plan.Node, "template1", ct))
        {
            existing = [.. (await RecoveryConnector.RowsAsync(connection, "SELECT rolname FROM pg_catalog.pg_roles", ct))
                .Select(r => r[0]!)];
        }

        var script = new StringBuilder();
        foreach (var line in dump.Split('\n'))
        {
            if (CreateRole().Match(line) is { Success: true } match && existing.Contains(Unquote(match.Groups[1].Value)))
            {
                continue; // the ALTER ROLE that follows still gives it main's attributes and password
            }

            script.Append(line).Append('\n');
        }

        await ApplyAsync("template1", script.ToString(), ct);
    }

    /// <summary>Creates main's databases the node lacks, with main's owner, encoding and locale.</summary>
    public async Task CreateDatabasesAsync(CancellationToken ct)
    {
        List<string?[]> onMain;
        await using (var main = await connector.OpenAsync(plan.Main, "postgres", ct))
        {
            onMain = await RecoveryConnector.RowsAsync(main,
                "SELECT datname, pg_catalog.pg_get_userbyid(datdba), pg_catalog.pg_encoding_to_char(encoding), " +
                "datcollate, datctype FROM pg_catalog.pg_database", ct);
        }

        await using var connection = await connector.OpenAsync(plan.Node, "template1", ct);
        var existing = (await RecoveryConnector.RowsAsync(connection, "SELECT datname FROM pg_catalog.pg_database", ct))
            .Select(r => r[0]!).ToHashSet(StringComparer.Ordinal);
        foreach (var database in plan.Databases)
        {
            if (existing.Contains(database.Name) || onMain.FirstOrDefault(r => r[0] == database.Name) is not { } row)
            {
                continue;
            }

            await RecoveryConnector.ExecuteAsync(connection,
                $"CREATE DATABASE {RecoveryConnector.Ident(database.Name)} OWNER {RecoveryConnector.Ident(row[1]!)} " +
                $"TEMPLATE template0 ENCODING {RecoveryConnector.Literal(row[2]!)} " +
                $"LC_COLLATE {RecoveryConnector.Literal(row[3]!)} LC_CTYPE {RecoveryConnector.Literal(row[4]!)}", ct);
        }
    }

    public async Task CopySchemaAsync(RecoveryDatabase database, RecoveryProgress progress, CancellationToken ct)
    {
        await ApplyAsync(database.Name, await DumpSchemaAsync(database, progress, ct), ct);
    }

    /// <summary>
    /// pg_dump takes ACCESS SHARE on every table, which waits while a transaction on main holds ACCESS EXCLUSIVE on
    /// one (VACUUM FULL, CLUSTER, a LOCK TABLE or TRUNCATE left open). Its wait is bounded, so that the recovery
    /// can say whom it waits for, and it is run again until <see cref="MainWaits.Limit"/>.
    /// </summary>
    private async Task<string> DumpSchemaAsync(RecoveryDatabase database, RecoveryProgress progress,
        CancellationToken ct)
    {
        var wait = new LockWait(progress);
        while (true)
        {
            try
            {
                // Subscriptions of main's own are left out: on the node they would replicate a second time.
                return await tools.RunAsync("pg_dump", plan.Main, database.Name,
                    ["--schema-only", "--no-subscriptions", "--lock-wait-timeout=1000"], stdin: null, ct);
            }
            catch (RecoveryFailure e) when (LockedTable().Match(e.Message) is { Success: true } locked)
            {
                var table = locked.Groups[1].Value;
                await using var connection = await connector.OpenAsync(plan.Main, database.Name, ct);
                await wait.PauseAsync(connection, table,
                    $"database {database.Name}: pg_dump waits for the lock on table {table}",
                    $"pg_dump could not lock table {table} of database \"{database.Name}\" on main (backend node " +
                    $"{plan.Main.NodeId})", ct);
            }
        }
    }

    /// <summary>The statement pg_dump names when its lock wait timed out (the query, never translated).</summary>
    [GeneratedRegex("""LOCK TABLE (.+?) IN ACCESS SHARE MODE""")]
    private static partial Regex LockedTable();

    private Task<string> ApplyAsync(string database, string script, CancellationToken ct) =>
        tools.RunAsync("psql", plan.Node, database, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], script, ct);

    private static string Unquote(string name) =>
        name.StartsWith('"') ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name;
}
