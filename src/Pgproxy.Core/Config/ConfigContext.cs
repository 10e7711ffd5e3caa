namespace Pgproxy.Core.Config;

/// <summary>When a change to a key takes effect, as in pgpool-II's documentation.</summary>
public enum ConfigContext
{
    /// <summary>Only read at start; a reload that changes it is reported and otherwise ignored.</summary>
    Restart,

    /// <summary>Picked up on <c>pgproxy reload</c> (SIGHUP).</summary>
    Reload,
}
