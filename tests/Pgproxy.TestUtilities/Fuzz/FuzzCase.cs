namespace Pgproxy.TestUtilities.Fuzz;

/// <summary>
/// One fuzz input: the bytes a client sends, cut into the pieces it sends them in, and how they were derived
/// (for the failure message; <see cref="FuzzSettings"/> tells how to run this case alone).
/// </summary>
internal sealed record FuzzCase(int Index, string SessionName, IReadOnlyList<string> Mutations,
    IReadOnlyList<byte[]> Pieces, bool WaitBeforeClosing)
{
    public byte[] Bytes => [.. Pieces.SelectMany(p => p)];

    public override string ToString()
    {
        var bytes = Bytes;
        var shown = Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)));
        return $"case {Index} ({FuzzSettings.ReproduceHint(Index)}): '{SessionName}' with "
            + $"[{string.Join("; ", Mutations)}], {bytes.Length} bytes in {Pieces.Count} piece(s): {shown}"
            + (bytes.Length > 400 ? "…" : "");
    }
}
