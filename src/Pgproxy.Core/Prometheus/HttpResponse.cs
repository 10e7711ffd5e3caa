using System.Globalization;
using System.Text;

namespace Pgproxy.Core.Prometheus;

/// <summary>The bytes of a complete HTTP/1.1 response that closes the connection after it.</summary>
internal static class HttpResponse
{
    public static byte[] Build(int status, string reason, string contentType, byte[] body, bool includeBody = true,
        string extraHeaders = "")
    {
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status.ToString(CultureInfo.InvariantCulture)} {reason}\r\n" +
            $"Content-Type: {contentType}\r\n" +
            $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n" +
            extraHeaders +
            "Connection: close\r\n\r\n");
        return includeBody ? [.. head, .. body] : head;
    }

    public static byte[] Plain(int status, string reason, string text, string extraHeaders = "") =>
        Build(status, reason, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text), extraHeaders: extraHeaders);
}
