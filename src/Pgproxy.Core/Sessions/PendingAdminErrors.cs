using System.Collections.Concurrent;
using System.Globalization;
using Pgproxy.Core.Admin;

namespace Pgproxy.Core.Sessions;

/// <summary>
/// Refused admin commands on the single-node path, where pgproxy only forwards what the backend answers: the
/// command becomes a statement that fails on its own (a cast of a text literal naming the refusal, no procedural
/// language needed), and the backend pump replaces that statement's ErrorResponse with pgproxy's own. So the
/// error arrives exactly where the command's answer belongs in the client's pipeline, in both protocols, and
/// inside a transaction the backend's transaction fails as PostgreSQL's would. A marker whose statement never runs
/// (skipped after an earlier error of the same extended group) just stays here.
/// </summary>
internal sealed class PendingAdminErrors
{
    private const string Prefix = "pgproxy admin error ";

    private readonly ConcurrentDictionary<int, AdminError> _errors = new();
    private int _next;

    public bool IsEmpty => _errors.IsEmpty;

    /// <summary>Remembers <paramref name="error"/> and returns the statement that stands for it.</summary>
    public string Register(AdminError error)
    {
        var id = Interlocked.Increment(ref _next);
        _errors[id] = error;
        return "SELECT '" + Prefix + id.ToString(CultureInfo.InvariantCulture) + "'::int";
    }

    /// <summary>The refusal a backend error stands for (and forgets it), or null for an error of the client's own.</summary>
    public AdminError? Take(string sqlState, string message)
    {
        if (sqlState != "22P02")
        {
            return null;
        }

        var at = message.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var digits = message.AsSpan(at + Prefix.Length);
        var length = 0;
        while (length < digits.Length && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        return int.TryParse(digits[..length], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
               && _errors.TryRemove(id, out var error)
            ? error
            : null;
    }
}
