namespace Pgproxy.Core.Replication;

/// <summary>
/// The session's named statements and portals (the unnamed ones in fields of their own: most clients use only
/// those), looked up by the name bytes from Bind/Execute/Describe/Close without allocating.
/// </summary>
internal sealed class StatementRegistry
{
    private readonly Dictionary<byte[], PreparedStatementInfo> _statements = new(Routing.Utf8KeyComparer.Instance);
    private readonly Dictionary<byte[], PreparedStatementInfo> _portals = new(Routing.Utf8KeyComparer.Instance);
    private PreparedStatementInfo? _unnamedStatement;
    private PreparedStatementInfo? _unnamedPortal;

    public PreparedStatementInfo? GetStatement(ReadOnlySpan<byte> name) =>
        name.IsEmpty ? _unnamedStatement
            : _statements.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var info) ? info : null;

    public void SetStatement(ReadOnlySpan<byte> name, PreparedStatementInfo info)
    {
        if (name.IsEmpty)
        {
            _unnamedStatement = info;
        }
        else
        {
            _statements.GetAlternateLookup<ReadOnlySpan<byte>>()[name] = info;
        }
    }

    public void RemoveStatement(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty)
        {
            _unnamedStatement = null;
        }
        else
        {
            _statements.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name);
        }
    }

    public PreparedStatementInfo? GetPortal(ReadOnlySpan<byte> name) =>
        name.IsEmpty ? _unnamedPortal
            : _portals.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(name, out var info) ? info : null;

    public void SetPortal(ReadOnlySpan<byte> name, PreparedStatementInfo? info)
    {
        if (name.IsEmpty)
        {
            _unnamedPortal = info;
        }
        else if (info is null)
        {
            _portals.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name);
        }
        else
        {
            _portals.GetAlternateLookup<ReadOnlySpan<byte>>()[name] = info;
        }
    }

    /// <summary>Portals end with their transaction.</summary>
    public void ForgetPortals()
    {
        _unnamedPortal = null;
        if (_portals.Count > 0)
        {
            _portals.Clear();
        }
    }

    /// <summary>Every statement (DISCARD ALL / DEALLOCATE ALL forget them on every node).</summary>
    public void ForgetAll()
    {
        _statements.Clear();
        _unnamedStatement = null;
        ForgetPortals();
    }
}
