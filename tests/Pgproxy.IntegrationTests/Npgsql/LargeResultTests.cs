using Npgsql;
using Pgproxy.IntegrationTests.Support;
using Pgproxy.TestUtilities.Postgres;

namespace Pgproxy.IntegrationTests.Npgsql;

[Collection(NpgsqlSuite.Name)]
public sealed class LargeResultTests(OneNode cluster) : ProxyTestBase(cluster)
{
    [PostgresFact]
    public async Task ExecuteScalar_TenMegabyteValue_ArrivesIntact()
    {
        const int length = 10_000_000;
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT repeat('x', {length}) || 'END'", conn);

        var value = (string)(await cmd.ExecuteScalarAsync())!;

        Assert.Equal(length + 3, value.Length);
        Assert.Equal(-1, value.AsSpan(0, length).IndexOfAnyExcept('x'));
        Assert.EndsWith("xEND", value, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task ExecuteReader_TwoHundredThousandRows_AllArriveInOrder()
    {
        const int rows = 200_000;
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT i, md5(i::text) FROM generate_series(1, {rows}) i", conn);
        await using var reader = await cmd.ExecuteReaderAsync();

        var count = 0;
        long sum = 0;
        var expectedNext = 1;
        var inOrder = true;
        while (await reader.ReadAsync())
        {
            var i = reader.GetInt32(0);
            inOrder &= i == expectedNext++;
            sum += i;
            count++;
            _ = reader.GetString(1);
        }

        Assert.Equal(rows, count);
        Assert.True(inOrder);
        Assert.Equal((long)rows * (rows + 1) / 2, sum);
    }
}
