using System.Text;
using Pgproxy.Core.Replication;

namespace Pgproxy.Core.Tests.Replication;

/// <summary>
/// The access mode a statement gives its transaction: a READ ONLY strict transaction does not share its snapshot
/// (a DEFERRABLE one would wait behind the write gate for the writers whose commits wait on it), so every spelling
/// PostgreSQL accepts must be seen, and nothing else taken for one.
/// </summary>
public sealed class TransactionModesTests
{
    [Theory]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", true)]
    [InlineData("start transaction read only", true)]
    [InlineData("SET TRANSACTION READ ONLY", true)]
    [InlineData("SET TRANSACTION READ WRITE", false)]
    [InlineData("BEGIN READ WRITE", false)]
    [InlineData("SET transaction_read_only = on", true)]
    [InlineData("set transaction_read_only to true;", true)]
    [InlineData("SET LOCAL transaction_read_only TO 'yes'", true)]
    [InlineData("SET SESSION transaction_read_only=1", true)]
    [InlineData("SET transaction_read_only = t", true)]
    [InlineData("SET transaction_read_only = off", false)]
    [InlineData("SET transaction_read_only TO 'false'", false)]
    [InlineData("SET transaction_read_only = 0", false)]
    [InlineData("BEGIN", null)]
    [InlineData("BEGIN ISOLATION LEVEL SERIALIZABLE", null)]
    [InlineData("SET TRANSACTION DEFERRABLE", null)]
    [InlineData("SET transaction_read_only = DEFAULT", null)]
    [InlineData("SET transaction_read_only = onward", null)]
    [InlineData("SET default_transaction_read_only = on", null)]
    [InlineData("SET transaction_deferrable = on", null)]
    [InlineData("SELECT 'READ ONLY'", null)]
    public void NamedAccess_SeesEverySpelling(string sql, bool? readOnly) =>
        Assert.Equal(readOnly, TransactionModes.NamedAccess(Encoding.UTF8.GetBytes(sql)));
}
