using Npgsql;
using Npgsql.Replication;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Auth;

/// <summary>
/// Issue 17 item 1: pool_hba.conf decides replication connections as pg_hba.conf does — a physical one needs a line
/// for the <c>replication</c> database (<c>all</c> does not cover it), a logical one matches its database like any
/// session — and pgproxy checks the password itself before any walsender opens.
/// </summary>
[Collection(AuthSuite.Name)]
public sealed class ReplicationHbaTests(AuthNode cluster) : AuthTestBase(cluster)
{
    private const string ReplUser = "auth_repl";
    private const string ReplPassword = "repl secret";

    [PostgresFact]
    public async Task Physical_NoReplicationLine_Is28000_AsPostgresSaysIt()
    {
        await EnsureReplicationRoleAsync();
        StartProxy("host all all 127.0.0.1/32 scram-sha-256\n", [AesLine(ReplUser, ReplPassword)]);
        await using var replication = new PhysicalReplicationConnection(ConnectionString(ReplPassword));

        var e = await Assert.ThrowsAsync<PostgresException>(() => replication.Open());

        Assert.Equal("28000", e.SqlState);
        Assert.Equal($"no pool_hba.conf entry for replication connection from host \"127.0.0.1\", user " +
                     $"\"{ReplUser}\", no encryption", e.MessageText);
    }

    [PostgresFact]
    public async Task Physical_ReplicationLine_LetsItIn_WithTheRightPasswordOnly()
    {
        await EnsureReplicationRoleAsync();
        StartProxy($"host replication {ReplUser} 127.0.0.1/32 scram-sha-256\n", [AesLine(ReplUser, ReplPassword)]);

        await using (var replication = new PhysicalReplicationConnection(ConnectionString(ReplPassword)))
        {
            await replication.Open();
            Assert.NotEmpty((await replication.IdentifySystem()).SystemId);
        }

        await using var wrong = new PhysicalReplicationConnection(ConnectionString("wrong"));
        Assert.Equal("28P01", (await Assert.ThrowsAsync<PostgresException>(() => wrong.Open())).SqlState);
    }

    [PostgresFact]
    public async Task ReplicationLine_DoesNotAdmitPlainOrLogicalSessions()
    {
        await EnsureReplicationRoleAsync();
        StartProxy($"host replication {ReplUser} 127.0.0.1/32 scram-sha-256\n", [AesLine(ReplUser, ReplPassword)]);

        await using var logical = new LogicalReplicationConnection(ConnectionString(ReplPassword));
        var e = await Assert.ThrowsAsync<PostgresException>(() => logical.Open());
        Assert.Equal("28000", e.SqlState);
        Assert.Contains("database \"postgres\"", e.MessageText, StringComparison.Ordinal);
        Assert.Equal("28000", (await LoginFailsAsync(ReplUser, ReplPassword)).SqlState);
    }

    [PostgresFact]
    public async Task Logical_MatchesItsDatabaseLikeAnySession()
    {
        await EnsureReplicationRoleAsync();
        StartProxy($"host postgres {ReplUser} 127.0.0.1/32 scram-sha-256\n", [AesLine(ReplUser, ReplPassword)]);

        await using var logical = new LogicalReplicationConnection(ConnectionString(ReplPassword));
        await logical.Open();
        Assert.Equal(await NodeSql.ScalarAsync<string>(Node, "SELECT system_identifier::text FROM pg_control_system()"),
            (await logical.IdentifySystem()).SystemId);
    }

    [PostgresFact]
    public async Task Physical_RejectLine_IsRefusedAsAReplicationConnection()
    {
        await EnsureReplicationRoleAsync();
        StartProxy("host replication all 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n", []);
        await using var replication = new PhysicalReplicationConnection(ConnectionString(ReplPassword));

        var e = await Assert.ThrowsAsync<PostgresException>(() => replication.Open());

        Assert.Equal("28000", e.SqlState);
        Assert.StartsWith("pool_hba.conf rejects replication connection", e.MessageText, StringComparison.Ordinal);
    }

    private string ConnectionString(string password) => Proxy.ConnectionString(b =>
    {
        b.Username = ReplUser;
        b.Password = password;
        b.Database = "postgres";
    });

    /// <summary>A role PostgreSQL lets open walsenders (its own pg_hba.conf trusts replication from loopback).</summary>
    private async Task EnsureReplicationRoleAsync() =>
        await NodeSql.ExecuteAsync(Node, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = " +
                                         $"'{ReplUser}') THEN CREATE ROLE {ReplUser} LOGIN REPLICATION PASSWORD " +
                                         $"'{ReplPassword}'; END IF; END $$");
}
