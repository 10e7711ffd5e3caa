using Pgproxy.Core.Hba;
using Pgproxy.Core.Sessions;
using Pgproxy.Protocol.Framing;

namespace Pgproxy.Core.Tests.Sessions;

/// <summary>The startup decision for <c>replication</c>, as PostgreSQL's ProcessStartupPacket makes it.</summary>
public sealed class WalSenderRequestTests
{
    [Theory]
    [InlineData(new string[0], WalSenderKind.None)]
    [InlineData(new[] { "false" }, WalSenderKind.None)]
    [InlineData(new[] { "OFF" }, WalSenderKind.None)]
    [InlineData(new[] { "0" }, WalSenderKind.None)]
    [InlineData(new[] { "true" }, WalSenderKind.Physical)]
    [InlineData(new[] { "on" }, WalSenderKind.Physical)]
    [InlineData(new[] { "yes" }, WalSenderKind.Physical)]
    [InlineData(new[] { "1" }, WalSenderKind.Physical)]
    [InlineData(new[] { "database" }, WalSenderKind.Logical)]
    // Later pairs win as PostgreSQL applies them: false turns the walsender off, true after database stays logical.
    [InlineData(new[] { "database", "false" }, WalSenderKind.None)]
    [InlineData(new[] { "database", "true" }, WalSenderKind.Logical)]
    [InlineData(new[] { "true", "database" }, WalSenderKind.Logical)]
    [InlineData(new[] { "false", "true" }, WalSenderKind.Physical)]
    public void Of_ReplicationValues_IsWhatPostgresOpens(string[] values, WalSenderKind kind)
    {
        var request = WalSenderRequest.Of(Parameters(values));

        Assert.Equal(new WalSenderRequest(kind, null), request);
    }

    [Theory]
    [InlineData("Database")] // PostgreSQL compares "database" case-sensitively
    [InlineData("o")] // on or off: ambiguous
    [InlineData("")]
    [InlineData("physical")]
    public void Of_ValuePostgresRefuses_NamesIt(string value)
    {
        var request = WalSenderRequest.Of(Parameters(["true", value]));

        Assert.Equal(value, request.InvalidValue);
    }

    [Fact]
    public void Of_ReplicationOnlyInsideAnotherValue_IsNone() =>
        Assert.Equal(WalSenderKind.None,
            WalSenderRequest.Of([StartupParameter.FromStrings("application_name", "x\u0001replication=database")])
                .Kind);

    private static IEnumerable<StartupParameter> Parameters(IEnumerable<string> values) =>
        values.Select(v => StartupParameter.FromStrings("replication", v))
            .Prepend(StartupParameter.FromStrings("user", "alice"));
}
