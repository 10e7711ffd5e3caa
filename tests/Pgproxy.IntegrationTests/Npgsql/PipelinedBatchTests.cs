using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class PipelinedBatchTests(OneNode cluster) : PipelinedBatchTestsBase(cluster);
