namespace Pgproxy.Core.Catalog;

/// <summary>
/// One step of the system DB's schema: applied once, in version order, in a transaction of its own, and
/// recorded in <c>schema_version</c>. <see cref="Sql"/> names the schema as <c>{schema}</c>.
/// </summary>
internal sealed record CatalogMigration(int Version, string Description, string Sql);
