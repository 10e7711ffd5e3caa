namespace Pgproxy.Core; internal static class Placeholder { }
