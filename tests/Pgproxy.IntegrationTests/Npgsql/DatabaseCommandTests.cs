using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class DatabaseCommandTests(OneNode cluster) : DatabaseCommandTestsBase(cluster);
