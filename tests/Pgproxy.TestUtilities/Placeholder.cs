namespace Pgproxy.TestUtilities; internal static class Placeholder { }
