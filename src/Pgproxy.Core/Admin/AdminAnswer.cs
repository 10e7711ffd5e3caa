namespace Pgproxy.Core.Admin;

/// <summary>
/// An admin command's answer worked out ahead of the rewrite that delivers it (the checked ATTACH, which reads the
/// nodes): the SQL that answers it, or the error that refuses it.
/// </summary>
internal sealed record AdminAnswer(AdminArguments Arguments, string? Text, AdminError? Error)
{
    public string? Sql(out AdminError? error)
    {
        error = Error;
        return Text;
    }
}
