using Pgproxy.IntegrationTests.Npgsql;
using Pgproxy.IntegrationTests.Support;

namespace Pgproxy.IntegrationTests.Replication;

[Collection(ReplicationSuite.Name)]
public sealed class PipelinedBatchReplicationTests(TwoNodes cluster) : PipelinedBatchTestsBase(cluster);
