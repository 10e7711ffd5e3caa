using System.Text;

namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>What pgproxy must never send, whatever it was fed.</summary>
internal static class FuzzOracle
{
    // An ErrorResponse's SQLSTATE field: 'C', the code, NUL. XX000 is what the session's catch-all sends.
    private static readonly byte[] InternalErrorField = "CXX000\0"u8.ToArray();
    private static readonly byte[] InternalErrorText = "pgproxy internal error"u8.ToArray();

    /// <summary>Null when <paramref name="reply"/> holds no internal error, else the reason.</summary>
    public static string? FindInternalError(byte[] reply)
    {
        var at = reply.AsSpan().IndexOf(InternalErrorField);
        if (at < 0)
        {
            at = reply.AsSpan().IndexOf(InternalErrorText);
        }

        if (at < 0)
        {
            return null;
        }

        var from = Math.Max(0, at - 20);
        return "internal error in the reply: "
            + Encoding.UTF8.GetString(reply, from, Math.Min(200, reply.Length - from)).Replace('\0', '|');
    }
}
