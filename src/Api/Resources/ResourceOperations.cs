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

    public async Task<JsonObject> CreateAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        var spec = (JsonObject?)input["spec"]?.DeepClone() ?? [];
        var tags = Tags.Normalize(input["tags"] as JsonArray);
        CheckSpec(kind, spec);
        if (kind.IsMesh)
        {
            TracingTagRules.CheckCreate(tags);
        }

        return await writes.RunAsync(call, id.Describe(), async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var idempotency = await Idempotency.ClaimAsync(db, account, call.Operation, input, now, ct);
            if (idempotency.PreviousResponse is { } previous)
            {
                return previous;
            }

            var references = await LockDependenciesAsync(account, db, kind, id, spec, ct);
            await CheckQuotaAsync(account, db, kind, id, ct);

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
                Spec = spec.ToJsonString(),
                Tags = tags.ToJsonString(),
                Refs = references,
                ResourceOwner = account,
                CreatedAt = now,
                LastUpdatedAt = now,
            };

            // A duplicate name surfaces when this is saved, as a unique violation WriteTransactions reports as a conflict.
            db.Resources.Add(entity);
            ChangeLog.Append(db, entity, "create", now);
            var response = Output(kind, entity, ResourceView.Active);
            idempotency.Complete(db, response);
            return response;
        }, cancellationToken);
    }

    public async Task<JsonObject> DescribeAsync(string account, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var id = IdentityOf(account, kind, input);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await FindAsync(account, db.Resources.AsNoTracking(), id, cancellationToken)
            ?? throw await MissingAsync(account, db, id, cancellationToken);
        return Output(kind, entity, ResourceView.Active);
    }

    public async Task<JsonObject> UpdateAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        var spec = (JsonObject?)input["spec"]?.DeepClone() ?? [];
        CheckSpec(kind, spec);

        return await writes.RunAsync(call, id.Describe(), async (db, ct) =>
        {
            var now = clock.GetUtcNow();
            var idempotency = await Idempotency.ClaimAsync(db, account, call.Operation, input, now, ct);
            if (idempotency.PreviousResponse is { } previous)
            {
                return previous;
            }

            var entity = await ResourceLocks.ForUpdateAsync(db, account, id, ct) ?? throw await MissingAsync(account, db, id, ct);
            entity.Refs = await LockDependenciesAsync(account, db, kind, id, spec, ct);
            entity.Spec = spec.ToJsonString();
            entity.Version += 1;
            entity.LastUpdatedAt = now;
            ChangeLog.Append(db, entity, "update", now);
            var response = Output(kind, entity, ResourceView.Active);
            idempotency.Complete(db, response);
            return response;
        }, cancellationToken);
    }

    public async Task<JsonObject> DeleteAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        return await writes.RunAsync(call, id.Describe(), async (db, ct) =>
        {
            // Locked first, so every write that depends on this resource has committed (and is seen below) or waits.
            var entity = await ResourceLocks.ForDeleteAsync(db, account, id, ct) ?? throw await MissingAsync(account, db, id, ct);
            await CheckNotInUseAsync(account, db, kind, id, ct);
            await QuotaCounter.CountDeletedAsync(db, account, id, ct);
            db.Resources.Remove(entity);

            // App Mesh answers a delete with the resource as it was, marked DELETED at the time of deletion.
            var now = clock.GetUtcNow();
            ChangeLog.Append(db, entity, "delete", now);
            entity.LastUpdatedAt = now;
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
        if (kind.Parent is { } parentKind)
        {
            await RequireAsync(account, db, new ResourceId(parentKind, meshName, "", parentName), cancellationToken);
        }
        else if (!kind.IsMesh)
        {
            await RequireAsync(account, db, ResourceId.ForMesh(meshName), cancellationToken);
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

    /// <summary>
    /// Locks what the write depends on (its mesh, its parent, every resource its spec names) FOR KEY SHARE, so none
    /// of them can be deleted before this write commits; says which is missing; and returns the spec's
    /// references as keys for the refs column.
    /// </summary>
    private static async Task<string[]> LockDependenciesAsync(string account, MeshDbContext db, ResourceKind kind, ResourceId id, JsonObject spec, CancellationToken ct)
    {
        var references = SpecReferences.Of(kind, spec);
        var mesh = ResourceId.ForMesh(id.MeshName);
        var parent = kind.Parent is { } parentKind ? new ResourceId(parentKind, id.MeshName, "", id.ParentName) : null;
        var targets = references.Select(r => (Reference: r, Id: new ResourceId(r.Kind, id.MeshName, "", r.Name))).ToList();
        var wanted = new HashSet<ResourceId>(targets.Select(t => t.Id));
        if (!kind.IsMesh)
        {
            wanted.Add(mesh);
        }

        if (parent is not null)
        {
            wanted.Add(parent);
        }

        var held = await ResourceLocks.ShareAsync(db, account, id.MeshName, wanted, ct);
        ResourceEntity? Held(ResourceId target) => held.FirstOrDefault(r =>
            r.Kind == target.Kind.WireName && r.ParentName == target.ParentName && r.Name == target.Name);

        if (!kind.IsMesh && Held(mesh) is null)
        {
            throw AppMeshException.NotFound($"{Capitalize(mesh.Describe())} does not exist.");
        }

        var parentRow = parent is null ? null : Held(parent) ?? throw AppMeshException.NotFound($"{Capitalize(parent.Describe())} does not exist.");
        foreach (var (reference, target) in targets)
        {
            if (Held(target) is null)
            {
                throw AppMeshException.NotFound($"{reference.Path}: {target.Describe()} does not exist.");
            }
        }

        if (kind == ResourceKind.Route && parentRow is not null)
        {
            CheckRoutePort(spec, parentRow);
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

        // When this create is over the limit the transaction rolls back, and its count with it.
        if (!await QuotaCounter.TryCountCreatedAsync(db, account, id, limit, ct))
        {
            throw AppMeshException.LimitExceeded($"The quota of {limit} {scope} is reached; delete one or raise Mesh:Quotas in configuration.");
        }
    }

    private static async Task CheckNotInUseAsync(string account, MeshDbContext db, ResourceKind kind, ResourceId id, CancellationToken ct)
    {
        var inMesh = db.Resources.AsNoTracking().Where(r => r.AccountId == account && r.MeshName == id.MeshName);
        if (kind.IsMesh)
        {
            var children = await inMesh.Where(r => r.Kind != kind.WireName).OrderBy(r => r.Kind).ThenBy(r => r.ParentName).ThenBy(r => r.Name)
                .Select(r => new { r.Kind, r.ParentName, r.Name }).Take(NamedInMessages + 1).ToListAsync(ct);
            if (children.Count > 0)
            {
                var total = children.Count > NamedInMessages ? await inMesh.CountAsync(r => r.Kind != kind.WireName, ct) : children.Count;
                var names = children.Select(c => new ResourceId(ResourceKind.FromWireName(c.Kind), id.MeshName, c.ParentName, c.Name).DescribeInMesh());
                throw AppMeshException.ResourceInUse(
                    $"Mesh '{id.MeshName}' still contains {total} resource{(total == 1 ? "" : "s")}: {NameSome(names, total)}; delete them first.");
            }

            return;
        }

        var childKind = ResourceKind.All.FirstOrDefault(k => k.Parent == kind);
        if (childKind is not null)
        {
            var ofParent = inMesh.Where(r => r.Kind == childKind.WireName && r.ParentName == id.Name);
            var children = await ofParent.OrderBy(r => r.Name).Select(r => r.Name).Take(NamedInMessages + 1).ToListAsync(ct);
            if (children.Count > 0)
            {
                var total = children.Count > NamedInMessages ? await ofParent.CountAsync(ct) : children.Count;
                throw AppMeshException.ResourceInUse(
                    $"{Capitalize(id.Describe())} still has {total} {ResourceId.Noun(childKind, total)}: {NameSome(children, total)}; delete them first.");
            }
        }

        var key = SpecReference.ToKey(kind, id.Name);
        var dependents = inMesh.Where(r => r.Refs.Contains(key));
        var users = await dependents.OrderBy(r => r.Kind).ThenBy(r => r.ParentName).ThenBy(r => r.Name)
            .Select(r => new { r.Kind, r.ParentName, r.Name }).Take(NamedInMessages + 1).ToListAsync(ct);
        if (users.Count > 0)
        {
            var total = users.Count > NamedInMessages ? await dependents.CountAsync(ct) : users.Count;
            var names = users.Select(u => new ResourceId(ResourceKind.FromWireName(u.Kind), id.MeshName, u.ParentName, u.Name).DescribeInMesh());
            throw AppMeshException.ResourceInUse($"{Capitalize(id.Describe())} is in use by {NameSome(names, total)}.");
        }
    }

    /// <summary>How many dependents a ResourceInUseException names before it says how many more there are.</summary>
    private const int NamedInMessages = 10;

    private static string NameSome(IEnumerable<string> names, int total)
    {
        var named = names.Take(NamedInMessages).ToList();
        return total > named.Count
            ? $"{string.Join(", ", named)} and {total - named.Count} more"
            : string.Join(", ", named);
    }

    /// <summary>
    /// The NotFoundException for a resource that is not there, naming the first missing link: "mesh 'x' does not
    /// exist" helps more than "route 'y' of virtual router 'z' in mesh 'x' does not exist".
    /// </summary>
    private static async Task<AppMeshException> MissingAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct)
    {
        if (!id.Kind.IsMesh)
        {
            var mesh = ResourceId.ForMesh(id.MeshName);
            if (await FindAsync(account, db.Resources.AsNoTracking(), mesh, ct) is null)
            {
                return AppMeshException.NotFound($"{Capitalize(mesh.Describe())} does not exist.");
            }

            if (id.Kind.Parent is { } parentKind)
            {
                var parent = new ResourceId(parentKind, id.MeshName, "", id.ParentName);
                if (await FindAsync(account, db.Resources.AsNoTracking(), parent, ct) is null)
                {
                    return AppMeshException.NotFound($"{Capitalize(parent.Describe())} does not exist.");
                }
            }
        }

        return AppMeshException.NotFound($"{Capitalize(id.Describe())} does not exist.");
    }

    /// <summary>Throws the NotFoundException for the first missing link when the resource is not there.</summary>
    private static async Task RequireAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct)
    {
        if (await FindAsync(account, db.Resources.AsNoTracking(), id, ct) is null)
        {
            throw await MissingAsync(account, db, id, ct);
        }
    }

    private static Task<ResourceEntity?> FindAsync(string account, IQueryable<ResourceEntity> resources, ResourceId id, CancellationToken ct) =>
        resources.SingleOrDefaultAsync(r =>
            r.AccountId == account && r.MeshName == id.MeshName && r.Kind == id.Kind.WireName
            && r.ParentName == id.ParentName && r.Name == id.Name, ct);

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
