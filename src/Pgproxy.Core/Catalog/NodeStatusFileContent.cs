namespace Pgproxy.Core.Catalog;

/// <summary>
/// What <see cref="NodeStatusFile.Parse"/> made of a status file: its good lines, and one warning per bad one.
/// </summary>
internal sealed record NodeStatusFileContent(IReadOnlyList<SavedNodeStatus> Entries, IReadOnlyList<string> Warnings);
