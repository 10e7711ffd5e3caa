using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Two PostgreSQL nodes plus a system DB instance (database <c>pgproxy</c>) for the catalog.</summary>
public sealed class TwoNodesWithSystemDb() : PgClusterFixture(2, withSystemDb: true);
