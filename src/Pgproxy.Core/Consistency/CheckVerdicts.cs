namespace Pgproxy.Core.Consistency;

/// <summary>The words a finding is shown and stored as (SHOW POOL_CHECK, consistency_results.verdict).</summary>
internal static class CheckVerdicts
{
    public const string Same = "same";

    public static string Of(CheckFinding? finding) => finding?.Kind switch
    {
        null => Same,
        FindingKind.DatabaseMissing or FindingKind.RelationMissing => "missing",
        FindingKind.ColumnsDiffer => "columns differ",
        FindingKind.SequenceDiffers => "sequence differs",
        FindingKind.TypeOidsDiffer => "type oids differ",
        _ => "differs",
    };
}
