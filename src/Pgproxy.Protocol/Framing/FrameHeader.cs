namespace Pgproxy.Protocol.Framing;

/// <summary>The 5-byte header of a typed protocol message: the type byte and the Int32 length field.</summary>
public readonly struct FrameHeader : IEquatable<FrameHeader>
{
    /// <summary>The size of the header on the wire: type byte plus length field.</summary>
    public const int Size = 5;

    public FrameHeader(byte type, int length)
    {
        Type = type;
        Length = length;
    }

    /// <summary>The message type byte.</summary>
    public byte Type { get; }

    /// <summary>The wire length field, which counts its own 4 bytes but not the type byte.</summary>
    public int Length { get; }

    /// <summary>Bytes the whole message occupies on the wire, type byte included.</summary>
    public int TotalLength => Length + 1;

    /// <summary>Bytes of the body that follows the header.</summary>
    public int BodyLength => Length - 4;

    public bool Equals(FrameHeader other) => Type == other.Type && Length == other.Length;

    public override bool Equals(object? obj) => obj is FrameHeader other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, Length);

    public override string ToString() => $"'{(char)Type}' length {Length}";

    public static bool operator ==(FrameHeader left, FrameHeader right) => left.Equals(right);

    public static bool operator !=(FrameHeader left, FrameHeader right) => !left.Equals(right);
}
