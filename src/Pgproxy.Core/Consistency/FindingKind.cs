namespace Pgproxy.Core.Consistency;

/// <summary>How a node differs from main.</summary>
internal enum FindingKind
{
    /// <summary>A database present on one of the two nodes only.</summary>
    DatabaseMissing,

    /// <summary>A table (or sequence) present on one of the two nodes only.</summary>
    RelationMissing,

    /// <summary>Same table, different columns (name, type, order, NOT NULL) or primary key.</summary>
    ColumnsDiffer,

    /// <summary>Same table, different rows: count or hash, narrowed to key ranges and keys where there is a key.</summary>
    RowsDiffer,

    /// <summary>A sequence whose last value or is_called differs.</summary>
    SequenceDiffers,

    /// <summary>User-defined types both nodes hold under other OIDs: not a data difference (see TypeOids).</summary>
    TypeOidsDiffer,
}
