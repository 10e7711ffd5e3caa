using Npgsql;

namespace Pgproxy.IntegrationTests.Support;

/// <summary>The server's error behind what Npgsql threw (a cancel comes wrapped, a plain error does not).</summary>
internal static class PostgresErrors
{
    public static PostgresException? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                return pg;
            }
        }

        return null;
    }
}
