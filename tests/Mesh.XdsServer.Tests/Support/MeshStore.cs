using Mesh.Model.Graph;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// Writes meshes to PostgreSQL the way the API does: the resource rows and one change row per write, in one
/// transaction (the database's trigger sends the NOTIFY on commit).
/// </summary>
public sealed class MeshStore(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    /// <summary>Unpooled, so that a test's own writes never pick up a connection a database restart broke.</summary>
    public MeshDbContext Open() => new(new DbContextOptionsBuilder<MeshDbContext>().UseNpgsql(ConnectionString + ";Pooling=false").Options);

    /// <summary>Makes the stored mesh equal to <paramref name="mesh"/>: creates, updates and deletes rows, logging each.</summary>
    public async Task ApplyAsync(MeshRows mesh, CancellationToken cancellationToken = default)
    {
        await using var db = Open();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await StageAsync(db, mesh, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds the writes for <paramref name="mesh"/> to a context, without saving: for tests that control the transaction.</summary>
    public static async Task StageAsync(MeshDbContext db, MeshRows mesh, CancellationToken cancellationToken)
    {
        var stored = await db.Resources.Where(r => r.AccountId == MeshRows.Account && r.MeshName == mesh.MeshName).ToListAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var wanted = mesh.Rows.ToDictionary(r => (r.Kind, r.ParentName ?? "", r.Name));
        foreach (var row in stored.Where(s => !wanted.ContainsKey((s.Kind, s.ParentName, s.Name))))
        {
            db.Resources.Remove(row);
            db.Changes.Add(Change(mesh.MeshName, row.Kind, row.ParentName, row.Name, row.Version, "delete", now));
        }

        foreach (var ((kind, parent, name), row) in wanted)
        {
            var existing = stored.FirstOrDefault(s => s.Kind == kind && s.ParentName == parent && s.Name == name);
            if (existing is null)
            {
                db.Resources.Add(new ResourceEntity
                {
                    AccountId = MeshRows.Account,
                    MeshName = mesh.MeshName,
                    Kind = kind,
                    ParentName = parent,
                    Name = name,
                    Arn = Arn(mesh.MeshName, kind, parent, name),
                    Uid = Guid.NewGuid(),
                    Version = 1,
                    Spec = row.SpecJson,
                    Tags = "[]",
                    ResourceOwner = MeshRows.Account,
                    CreatedAt = now,
                    LastUpdatedAt = now,
                });
                db.Changes.Add(Change(mesh.MeshName, kind, parent, name, 1, "create", now));
            }
            else if (!JsonEqual(existing.Spec, row.SpecJson))
            {
                existing.Spec = row.SpecJson;
                existing.Version++;
                existing.LastUpdatedAt = now;
                db.Changes.Add(Change(mesh.MeshName, kind, parent, name, existing.Version, "update", now));
            }
        }
    }

    private static bool JsonEqual(string a, string b) =>
        System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a), System.Text.Json.Nodes.JsonNode.Parse(b));

    private static ChangeEntity Change(string mesh, string kind, string parent, string name, long version, string operation, DateTimeOffset at) => new()
    {
        AccountId = MeshRows.Account,
        MeshName = mesh,
        Kind = kind,
        ParentName = parent,
        Name = name,
        Version = version,
        Operation = operation,
        At = at,
    };

    private static string Arn(string mesh, string kind, string parent, string name) => kind switch
    {
        MeshResourceKinds.Mesh => $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/{mesh}",
        MeshResourceKinds.Route => $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/{mesh}/virtualRouter/{parent}/route/{name}",
        MeshResourceKinds.GatewayRoute => $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/{mesh}/virtualGateway/{parent}/gatewayRoute/{name}",
        _ => $"arn:aws:appmesh:us-east-1:{MeshRows.Account}:mesh/{mesh}/{kind}/{name}",
    };
}
