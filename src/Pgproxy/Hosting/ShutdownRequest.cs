using Pgproxy.Core.Hosting;

namespace Pgproxy.Hosting;

/// <summary>Which shutdown mode the signal that stopped the host asked for (smart unless told otherwise).</summary>
internal sealed class ShutdownRequest
{
    private volatile int _mode = (int)ShutdownMode.Smart;

    public ShutdownMode Mode
    {
        get => (ShutdownMode)_mode;
        set => _mode = (int)value;
    }
}
