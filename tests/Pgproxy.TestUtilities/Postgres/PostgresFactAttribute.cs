using Xunit;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>
/// A <see cref="FactAttribute"/> for tests that need real PostgreSQL: skipped when it is missing, unless
/// <c>CI</c> or <c>PGPROXY_REQUIRE_POSTGRES</c> is set; then the test runs and its fixture fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PgBinaries.SkipReasonOrNull() is { } reason)
        {
            Skip = reason;
        }
    }
}
