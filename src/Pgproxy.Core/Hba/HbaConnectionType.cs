namespace Pgproxy.Core.Hba;

/// <summary>The first field of a pool_hba.conf record.</summary>
public enum HbaConnectionType
{
    /// <summary>Unix domain socket.</summary>
    Local,

    /// <summary>TCP, with or without TLS.</summary>
    Host,

    /// <summary>TCP with TLS only.</summary>
    HostSsl,

    /// <summary>TCP without TLS only.</summary>
    HostNoSsl,
}
