// Usage: IdleClients <connection string> <count> [hold seconds]
// Opens <count> connections (16 at a time), prints "READY <count>", then holds them idle for the hold time
// (default 600 s; the caller normally kills it sooner). Exit code 1 when a connection fails.
using System.Globalization;
using Npgsql;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: IdleClients <connection string> <count> [hold seconds]");
    return 2;
}

var builder = new NpgsqlConnectionStringBuilder(args[0])
{
    Pooling = false,
};
var count = int.Parse(args[1], CultureInfo.InvariantCulture);
var hold = TimeSpan.FromSeconds(args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 600);
var dataSourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);
dataSourceBuilder.ConfigureTypeLoading(t => t.EnableTypeLoading(false)); // no catalog queries: startup only
await using var dataSource = dataSourceBuilder.Build();

var connections = new List<NpgsqlConnection>(count);
using var gate = new SemaphoreSlim(16);
try
{
    var opens = Enumerable.Range(0, count).Select(async _ =>
    {
        await gate.WaitAsync();
        try
        {
            var connection = await dataSource.OpenConnectionAsync();
            lock (connections)
            {
                connections.Add(connection);
            }
        }
        finally
        {
            gate.Release();
        }
    });
    await Task.WhenAll(opens);
}
catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"opened {connections.Count} of {count}: {e.Message}");
    return 1;
}

Console.WriteLine($"READY {connections.Count}");
await Console.Out.FlushAsync();
await Task.Delay(hold); // the caller kills us sooner when it is done measuring
foreach (var connection in connections)
{
    await connection.DisposeAsync();
}

return 0;
