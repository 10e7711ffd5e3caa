namespace Pgproxy.Core.Hosting;

/// <summary>pgpool's three ways to stop (<c>-m smart|fast|immediate</c>; SIGTERM, SIGINT, SIGQUIT).</summary>
public enum ShutdownMode
{
    /// <summary>Stop accepting, wait for every client to disconnect, then exit.</summary>
    Smart,

    /// <summary>Stop accepting, disconnect every client (open transactions roll back), then exit.</summary>
    Fast,

    /// <summary>Exit at once.</summary>
    Immediate,
}
