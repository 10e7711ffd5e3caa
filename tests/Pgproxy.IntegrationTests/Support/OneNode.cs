using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>One PostgreSQL node: pgproxy forwards every session to node 0 until replication arrives.</summary>
public sealed class OneNode() : PgClusterFixture(1);
