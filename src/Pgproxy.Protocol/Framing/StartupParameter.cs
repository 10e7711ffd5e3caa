using System.Text;

namespace Pgproxy.Protocol.Framing;

/// <summary>
/// One name/value pair of a StartupMessage exactly as the client sent it. The bytes are what pgproxy forwards to the
/// nodes, so a value is never re-parsed: pgproxy once joined the pairs into one string and split it again before
/// logging into the nodes, and a value holding the separator logged a SCRAM-verified client in as someone else.
/// <see cref="Name"/> and <see cref="Value"/> are UTF-8 decodings for decisions and logs only.
/// </summary>
public sealed class StartupParameter : IEquatable<StartupParameter>
{
    private readonly byte[] _name;
    private readonly byte[] _value;

    /// <param name="name">The name's bytes, without the terminator; never contains a NUL.</param>
    /// <param name="value">The value's bytes, without the terminator; never contains a NUL.</param>
    public StartupParameter(byte[] name, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (name.AsSpan().Contains((byte)0) || value.AsSpan().Contains((byte)0))
        {
            // A NUL would end the field early on the wire and shift every pair after it.
            throw new ArgumentException("a startup parameter cannot contain a NUL byte");
        }

        _name = name;
        _value = value;
        Name = Encoding.UTF8.GetString(name);
        Value = Encoding.UTF8.GetString(value);
    }

    /// <summary>The name decoded as UTF-8 (invalid sequences become U+FFFD); for decisions and logs.</summary>
    public string Name { get; }

    /// <summary>The value decoded as UTF-8 (invalid sequences become U+FFFD); for decisions and logs.</summary>
    public string Value { get; }

    /// <summary>The name's bytes as they came.</summary>
    public ReadOnlySpan<byte> NameBytes => _name;

    /// <summary>The value's bytes as they came.</summary>
    public ReadOnlySpan<byte> ValueBytes => _value;

    /// <summary>A pair pgproxy makes itself (user, database, its own application_name), encoded as UTF-8.</summary>
    public static StartupParameter FromStrings(string name, string value) =>
        new(Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(value));

    public bool Equals(StartupParameter? other) =>
        other is not null && _name.AsSpan().SequenceEqual(other._name) && _value.AsSpan().SequenceEqual(other._value);

    public override bool Equals(object? obj) => Equals(obj as StartupParameter);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_name);
        hash.Add(0);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    public override string ToString() => $"{Name}={Value}";
}
