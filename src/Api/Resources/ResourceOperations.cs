using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Mesh.Api.Resources;

/// <summary>
/// Create, Describe, Update, Delete and List for all seven kinds. What differs between kinds (names,
/// parents, references, quotas) is data on <see cref="ResourceKind"/>; the flow is the same for all.
/// </summary>
public sealed class ResourceOperations(
    IDbContextFactory<MeshDbContext> contexts,
    WriteTransactions writes,
    ResourceView view,
    PageTokens pageTokens,
    IOptions<MeshApiOptions> options,
    TimeProvider clock)
{
    private MeshApiOptions Options => options.Value;

    public async Task<JsonObject> CreateAsync(string account, ResourceKind kind, string operation, JsonObject input, CancellationToken cancellationToken)
    {
        var id = IdentityOf(account, kind, input);
        var spec = (JsonObject?)input["spec"]?.DeepClone() ?? [];
        var tags = Tags.Normalize(input["tags"] as JsonArray);
        CheckSpec(kind, spec);
        if (kind.IsMesh)
        {
            TracingTagRules.CheckCreate(tags);
        }

        return await writes.RunAsync($"{operation} {id.Describe()}", async (db, ct) =>
        {
            var idempotency = await Idempotency.BeginAsync(db, account, operation, input, clock.GetUtcNow(), ct);
            if (idempotency.PreviousResponse is { } previous)
            {
                return previous;
            }

            if (!kind.IsMesh)
            {
                await RequireAsync(account, db, ResourceId.ForMesh(id.MeshName), ct);
            }

            ResourceEntity? parent = null;
            if (kind.Parent is { } parentKind)
            {
                parent = await RequireAsync(account, db, new ResourceId(parentKind, id.MeshName, "", id.ParentName), ct);
            }

            var references = await CheckReferencesAsync(account, db, kind, id, spec, parent, ct);
            await CheckQuotaAsync(account, db, kind, id, ct);

            var now = clock.GetUtcNow();
            var entity = new ResourceEntity
            {
                AccountId = account,
                MeshName = id.MeshName,
                Kind = kind.WireName,
                ParentName = id.ParentName,
                Name = id.Name,
                Arn = id.ToArn(Options.Region, account),
                Uid = Guid.NewGuid(),
                Version = 1,
                Status = ResourceView.Active,
                Spec = spec.ToJsonString(),
                Tags = tags.ToJsonString(),
                Refs = references,
                ResourceOwner = account,
                CreatedAt = now,
                LastUpdatedAt = now,
            };
            db.Resources.Add(entity);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException error) when (WriteTransactions.IsUniqueViolation(error, "ux_resources_identity")
                                                  || WriteTransactions.IsUniqueViolation(error, "ux_resources_arn"))
            {
                throw AppMeshException.Conflict($"{Capitalize(id.Describe())} already exists.");
            }

            await ChangeLog.AppendAsync(db, entity, "create", now, ct);
            var response = Output(kind, entity, ResourceView.Active);
            await idempotency.CompleteAsync(db, response, now, ct);
            return response;
        }, cancellationToken);
    }

    public async Task<JsonObject> DescribeAsync(string account, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var id = IdentityOf(account, kind, input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await RequireAsync(account, db, id, cancellationToken, missingParentsFirst: true);
        return Output(kind, entity, ResourceView.Active);
    }

    public async Task<JsonObject> UpdateAsync(string account, ResourceKind kind, string operation, JsonObject input, CancellationToken cancellationToken)
    {
        var id = IdentityOf(account, kind, input);
        var spec = (JsonObject?)input["spec"]?.DeepClone() ?? [];
        CheckSpec(kind, spec);

        return await writes.RunAsync($"{operation} {id.Describe()}", async (db, ct) =>
        {
            var idempotency = await Idempotency.BeginAsync(db, account, operation, input, clock.GetUtcNow(), ct);
            if (idempotency.PreviousResponse is { } previous)
            {
                return previous;
            }

            var entity = await RequireAsync(account, db, id, ct, missingParentsFirst: true);
            ResourceEntity? parent = kind.Parent is { } parentKind
                ? await RequireAsync(account, db, new ResourceId(parentKind, id.MeshName, "", id.ParentName), ct)
                : null;
            entity.Refs = await CheckReferencesAsync(account, db, kind, id, spec, parent, ct);

            var now = clock.GetUtcNow();
            entity.Spec = spec.ToJsonString();
            entity.Version += 1;
            entity.LastUpdatedAt = now;

            // Version is a concurrency token: the UPDATE carries "WHERE version = <read version>", and a
            // lost race surfaces as DbUpdateConcurrencyException, which the transaction runner retries.
            await db.SaveChangesAsync(ct);
            await ChangeLog.AppendAsync(db, entity, "update", now, ct);
            var response = Output(kind, entity, ResourceView.Active);
            await idempotency.CompleteAsync(db, response, now, ct);
            return response;
        }, cancellationToken);
    }

    public async Task<JsonObject> DeleteAsync(string account, ResourceKind kind, string operation, JsonObject input, CancellationToken cancellationToken)
    {
        var id = IdentityOf(account, kind, input);
        return await writes.RunAsync($"{operation} {id.Describe()}", async (db, ct) =>
        {
            var entity = await RequireAsync(account, db, id, ct, missingParentsFirst: true);
            await CheckNotInUseAsync(account, db, kind, id, ct);
            db.Resources.Remove(entity);
            await db.SaveChangesAsync(ct);
            await ChangeLog.AppendAsync(db, entity, "delete", clock.GetUtcNow(), ct);
            return Output(kind, entity, ResourceView.Deleted);
        }, cancellationToken);
    }

    public async Task<JsonObject> ListAsync(string account, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var meshName = kind.IsMesh ? "" : input["meshName"]!.GetValue<string>();
        var parentName = kind.Parent is { } p ? input[p.NameMember]!.GetValue<string>() : "";
        CheckMeshOwner(account, input);
        var limit = (int)(input["limit"]?.GetValue<long>() ?? 100);
        var scope = $"{kind.WireName}/{meshName}/{parentName}";
        var after = input["nextToken"]?.GetValue<string>() is { } token
            ? await pageTokens.ReadAsync(token, scope, cancellationToken)
            : null;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!kind.IsMesh)
        {
            await RequireAsync(account, db, ResourceId.ForMesh(meshName), cancellationToken);
        }

        if (kind.Parent is { } parentKind)
        {
            await RequireAsync(account, db, new ResourceId(parentKind, meshName, "", parentName), cancellationToken);
        }

        var query = db.Resources.AsNoTracking().Where(r =>
            r.AccountId == account && r.Kind == kind.WireName && r.ParentName == parentName
            && (kind.IsMesh || r.MeshName == meshName));
        if (after is not null)
        {
            // The name columns use the "C" collation, so this comparison is byte-wise, like the ORDER BY.
            query = query.Where(r => string.Compare(r.Name, after) > 0);
        }

        var page = await query.OrderBy(r => r.Name).Take(limit + 1).ToListAsync(cancellationToken);
        var output = new JsonObject
        {
            [kind.ListMember] = new JsonArray(page.Take(limit).Select(e => (JsonNode)view.Ref(kind, e)).ToArray()),
        };
        if (page.Count > limit)
        {
            output["nextToken"] = await pageTokens.IssueAsync(scope, page[limit - 1].Name, cancellationToken);
        }

        return output;
    }

    private JsonObject Output(ResourceKind kind, ResourceEntity entity, string status) =>
        new() { [kind.WireName] = view.Data(kind, entity, status) };

    private static ResourceId IdentityOf(string account, ResourceKind kind, JsonObject input)
    {
        CheckMeshOwner(account, input);
        var names = new List<Violation>();
        foreach (var member in new[] { "meshName", kind.NameMember, kind.Parent?.NameMember }.Distinct())
        {
            if (member is not null && input[member]?.GetValue<string>() is { } name)
            {
                ResourceNames.Check(member, name, names);
            }
        }

        if (names.Count > 0)
        {
            throw AppMeshException.Invalid(names);
        }

        var mesh = input["meshName"]!.GetValue<string>();
        return kind.IsMesh
            ? ResourceId.ForMesh(mesh)
            : new ResourceId(kind, mesh, kind.Parent is { } p ? input[p.NameMember]!.GetValue<string>() : "", input[kind.NameMember]!.GetValue<string>());
    }

    private static void CheckMeshOwner(string account, JsonObject input)
    {
        if (input["meshOwner"]?.GetValue<string>() is { } owner && owner != account)
        {
            var mesh = input["meshName"]?.GetValue<string>();
            throw AppMeshException.NotFound($"Mesh '{mesh}' owned by account {owner} was not found; you are account {account}.");
        }
    }

    private void CheckSpec(ResourceKind kind, JsonObject spec)
    {
        var violations = SpecRules.Check(kind, spec);
        if (violations.Count > 0)
        {
            throw AppMeshException.Invalid(violations);
        }

        if (kind == ResourceKind.VirtualNode && spec["backends"] is JsonArray backends && backends.Count > Options.Quotas.BackendsPerVirtualNode)
        {
            throw AppMeshException.LimitExceeded(
                $"spec.backends: a virtual node may have at most {Options.Quotas.BackendsPerVirtualNode} backends, got {backends.Count}.");
        }
    }

    /// <summary>Checks every resource the spec names exists, and returns their keys for the refs column.</summary>
    private static async Task<string[]> CheckReferencesAsync(string account, MeshDbContext db, ResourceKind kind, ResourceId id, JsonObject spec, ResourceEntity? parent, CancellationToken ct)
    {
        var references = SpecReferences.Of(kind, spec);
        foreach (var reference in references)
        {
            var target = new ResourceId(reference.Kind, id.MeshName, "", reference.Name);
            if (await FindAsync(account, db, target, ct) is null)
            {
                throw AppMeshException.NotFound($"{reference.Path}: {target.Describe()} does not exist.");
            }
        }

        if (kind == ResourceKind.Route && parent is not null)
        {
            CheckRoutePort(spec, parent);
        }

        return references.Select(r => r.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>A route on a router with several listeners must say which one it belongs to.</summary>
    private static void CheckRoutePort(JsonObject spec, ResourceEntity router)
    {
        var ports = SpecRules.ListenerPorts(JsonNode.Parse(router.Spec)!.AsObject());
        var matchPort = SpecRules.RouteMatchPort(spec);
        if (matchPort is { } named && ports.Count > 0 && !ports.Contains(named.Port))
        {
            throw AppMeshException.Invalid([new Violation(named.Path,
                $"port {named.Port} is not a listener of virtual router '{router.Name}' (listeners: {string.Join(", ", ports)})")]);
        }

        if (matchPort is null && ports.Count > 1)
        {
            throw AppMeshException.Invalid([new Violation("spec.<protocol>Route.match.port",
                $"is required because virtual router '{router.Name}' has {ports.Count} listeners ({string.Join(", ", ports)})")]);
        }
    }

    private async Task CheckQuotaAsync(string account, MeshDbContext db, ResourceKind kind, ResourceId id, CancellationToken ct)
    {
        var quotas = Options.Quotas;
        var (limit, scope) = kind.WireName switch
        {
            "mesh" => (quotas.MeshesPerAccount, "meshes in this account"),
            "virtualNode" => (quotas.VirtualNodesPerMesh, $"virtual nodes in mesh '{id.MeshName}'"),
            "virtualService" => (quotas.VirtualServicesPerMesh, $"virtual services in mesh '{id.MeshName}'"),
            "virtualRouter" => (quotas.VirtualRoutersPerMesh, $"virtual routers in mesh '{id.MeshName}'"),
            "virtualGateway" => (quotas.VirtualGatewaysPerMesh, $"virtual gateways in mesh '{id.MeshName}'"),
            "route" => (quotas.RoutesPerVirtualRouter, $"routes in virtual router '{id.ParentName}'"),
            "gatewayRoute" => (quotas.GatewayRoutesPerVirtualGateway, $"gateway routes in virtual gateway '{id.ParentName}'"),
            _ => throw new InvalidOperationException(kind.WireName),
        };

        var count = await db.Resources.CountAsync(r =>
            r.AccountId == account && r.Kind == kind.WireName && r.ParentName == id.ParentName
            && (kind.IsMesh || r.MeshName == id.MeshName), ct);
        if (count >= limit)
        {
            throw AppMeshException.LimitExceeded($"The quota of {limit} {scope} is reached; delete one or raise Mesh:Quotas in configuration.");
        }
    }

    private static async Task CheckNotInUseAsync(string account, MeshDbContext db, ResourceKind kind, ResourceId id, CancellationToken ct)
    {
        var inMesh = db.Resources.Where(r => r.AccountId == account && r.MeshName == id.MeshName);
        if (kind.IsMesh)
        {
            var children = await inMesh.Where(r => r.Kind != kind.WireName).OrderBy(r => r.Kind).ThenBy(r => r.Name)
                .Select(r => new { r.Kind, r.Name }).Take(5).ToListAsync(ct);
            if (children.Count > 0)
            {
                throw AppMeshException.ResourceInUse(
                    $"Mesh '{id.MeshName}' still contains resources ({string.Join(", ", children.Select(c => $"{c.Kind} '{c.Name}'"))}); delete them first.");
            }

            return;
        }

        var childKind = ResourceKind.All.FirstOrDefault(k => k.Parent == kind);
        if (childKind is not null)
        {
            var children = await inMesh.Where(r => r.Kind == childKind.WireName && r.ParentName == id.Name)
                .OrderBy(r => r.Name).Select(r => r.Name).Take(5).ToListAsync(ct);
            if (children.Count > 0)
            {
                throw AppMeshException.ResourceInUse(
                    $"{Capitalize(id.Describe())} still has {childKind.PluralPascalName} ({string.Join(", ", children)}); delete them first.");
            }
        }

        var key = SpecReference.ToKey(kind, id.Name);
        var users = await inMesh.Where(r => r.Refs.Contains(key)).OrderBy(r => r.Kind).ThenBy(r => r.Name)
            .Select(r => new { r.Kind, r.ParentName, r.Name }).Take(5).ToListAsync(ct);
        if (users.Count > 0)
        {
            var names = users.Select(u => new ResourceId(ResourceKind.FromWireName(u.Kind), id.MeshName, u.ParentName, u.Name).Describe());
            throw AppMeshException.ResourceInUse($"{Capitalize(id.Describe())} is in use by {string.Join(", ", names)}.");
        }
    }

    private static async Task<ResourceEntity> RequireAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct, bool missingParentsFirst = false)
    {
        if (await FindAsync(account, db, id, ct) is { } entity)
        {
            return entity;
        }

        // Say which link is missing: "mesh 'x' does not exist" helps more than "route 'y' ... does not exist".
        if (missingParentsFirst && !id.Kind.IsMesh)
        {
            var mesh = ResourceId.ForMesh(id.MeshName);
            if (await FindAsync(account, db, mesh, ct) is null)
            {
                throw AppMeshException.NotFound($"{Capitalize(mesh.Describe())} does not exist.");
            }

            if (id.Kind.Parent is { } parentKind)
            {
                var parent = new ResourceId(parentKind, id.MeshName, "", id.ParentName);
                if (await FindAsync(account, db, parent, ct) is null)
                {
                    throw AppMeshException.NotFound($"{Capitalize(parent.Describe())} does not exist.");
                }
            }
        }

        throw AppMeshException.NotFound($"{Capitalize(id.Describe())} does not exist.");
    }

    private static Task<ResourceEntity?> FindAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct) =>
        db.Resources.SingleOrDefaultAsync(r =>
            r.AccountId == account && r.MeshName == id.MeshName && r.Kind == id.Kind.WireName
            && r.ParentName == id.ParentName && r.Name == id.Name, ct);

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
