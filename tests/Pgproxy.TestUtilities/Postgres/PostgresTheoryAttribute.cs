using Xunit;

namespace Pgproxy.TestUtilities.Postgres;

/// <summary>The <see cref="TheoryAttribute"/> twin of <see cref="PostgresFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (PgBinaries.SkipReasonOrNull() is { } reason)
        {
            Skip = reason;
        }
    }
}
