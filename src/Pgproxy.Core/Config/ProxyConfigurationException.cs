namespace Pgproxy.Core.Config;

/// <summary>
/// A file the proxy needs at start or reload is unusable (pool_hba.conf with errors…). Each problem is one entry
/// of <see cref="Problems"/>, already formatted as <c>file:line: message</c>.
/// </summary>
public sealed class ProxyConfigurationException : Exception
{
    public ProxyConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    public ProxyConfigurationException()
        : this([])
    {
    }

    public ProxyConfigurationException(string message)
        : this([message])
    {
    }

    public ProxyConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; } = [];
}
