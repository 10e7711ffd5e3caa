namespace Pgproxy.Protocol; internal static class Placeholder { }
