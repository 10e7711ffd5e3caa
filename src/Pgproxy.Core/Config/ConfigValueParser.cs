using System.Globalization;

namespace Pgproxy.Core.Config;

/// <summary>Shared value spellings, so both parsers and the registry agree on them.</summary>
internal static class ConfigValueParser
{
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "ON" or "TRUE" or "YES" or "1":
                value = true;
                return true;
            case "OFF" or "FALSE" or "NO" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public static string FormatBool(bool value) => value ? "on" : "off";

    public static string FormatInt(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
