namespace Pgproxy.Core.Replication;

/// <summary>Where one message sits in an <see cref="ExtendedGroup"/>'s bytes, and its type.</summary>
internal readonly record struct GroupFrame(int Offset, int Length, byte Type);
