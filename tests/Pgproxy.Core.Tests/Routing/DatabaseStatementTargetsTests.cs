using System.Text;
using Pgproxy.Core.Routing;

namespace Pgproxy.Core.Tests.Routing;

public sealed class DatabaseStatementTargetsTests
{
    [Theory]
    [InlineData("DROP DATABASE x", "x")]
    [InlineData("drop database if exists \"My Db\" with (force)", "My Db")]
    [InlineData("DROP DATABASE Mixed (FORCE);", "mixed")]
    [InlineData("  /* c */ ALTER DATABASE x RENAME TO y", "x")]
    [InlineData("ALTER DATABASE x SET TABLESPACE t", "x")]
    [InlineData("CREATE DATABASE y", "template1")]
    [InlineData("CREATE DATABASE y WITH OWNER = bob TEMPLATE = template0 ENCODING 'UTF8'", "template0")]
    [InlineData("CREATE DATABASE y TEMPLATE \"Src\"", "Src")]
    [InlineData("CREATE DATABASE y TEMPLATE 'src'", "src")]
    [InlineData("CREATE DATABASE y TEMPLATE DEFAULT", "template1")]
    [InlineData("-- why\nCREATE DATABASE y", "template1")]
    public void Find_NamesTheDatabasesTheStatementNeedsFree(string sql, string expected)
    {
        Assert.Equal([expected], DatabaseStatementTargets.Find(sql));
        Assert.Equal([expected], DatabaseStatementTargets.Find(Encoding.UTF8.GetBytes(sql)));
    }

    [Theory]
    [InlineData("ALTER DATABASE x SET work_mem = '1MB'")]
    [InlineData("DROP TABLE database")]
    [InlineData("SELECT 'DROP DATABASE x'")]
    [InlineData("CREATE TABLE t (a int)")]
    [InlineData("")]
    public void Find_OtherStatements_NameNothing(string sql)
    {
        Assert.Empty(DatabaseStatementTargets.Find(sql));
        Assert.Empty(DatabaseStatementTargets.Find(Encoding.UTF8.GetBytes(sql)));
    }

    [Theory]
    [InlineData("COMMIT", false)]
    [InlineData("DELETE FROM t", false)]
    [InlineData("CALL p()", false)]
    [InlineData("dropx", false)]
    [InlineData("DROP", false)]
    [InlineData(" \n create database x", true)]
    [InlineData("ALTER\tDATABASE x RENAME TO y", true)]
    [InlineData("/* c */ SELECT 1", true)]
    public void MayName_LexesOnlyCreateDropAlterOrACommentFirst(string sql, bool expected) =>
        Assert.Equal(expected, DatabaseStatementTargets.MayName(Encoding.UTF8.GetBytes(sql)));
}
