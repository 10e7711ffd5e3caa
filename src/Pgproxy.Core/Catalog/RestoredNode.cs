namespace Pgproxy.Core.Catalog;

/// <summary>
/// A node that starts down because a previous run left it down; <see cref="Source"/> says who said so.
/// </summary>
internal sealed record RestoredNode(SavedNodeStatus Saved, string Source);
