namespace Pgproxy.Core.Config;

/// <summary>How a key's text is parsed and checked.</summary>
public enum ConfigValueKind
{
    /// <summary>Plain decimal integer within <see cref="ConfigKey.Min"/>..<see cref="ConfigKey.Max"/>; no units.</summary>
    WholeNumber,

    /// <summary>on/off, true/false, yes/no, 1/0, case-insensitive.</summary>
    Boolean,

    /// <summary>Finite number, zero or more.</summary>
    Real,

    /// <summary>Any text.</summary>
    Text,

    /// <summary>One of <see cref="ConfigKey.AllowedValues"/>, case-insensitive.</summary>
    Enum,

    /// <summary>A file or folder; relative values resolve against the configuration file's folder.</summary>
    Path,
}
