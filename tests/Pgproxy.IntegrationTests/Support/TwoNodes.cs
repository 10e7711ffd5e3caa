using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>Two PostgreSQL nodes: pgproxy replicates every write to both.</summary>
public sealed class TwoNodes() : PgClusterFixture(2);
