using System.Collections.Concurrent;
using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.Model.Specs;
using Mesh.Persistence;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Reads one mesh from the database, validates it as a whole graph and hands it to the snapshot producer. A graph that does
/// not validate is logged and counted, and the last good one keeps serving. Tracing tags that cannot be used do
/// not make a graph invalid: they are logged here, once per load, and the translator leaves them out.
/// The Cloud Map services the mesh's virtual nodes discover through are read with it (their registered
/// instances become the graph's <see cref="MeshGraph.CloudMap"/>), and the loader remembers which namespaces each
/// mesh uses, so that a registry change reloads only the meshes that use its namespace.
/// </summary>
public sealed class MeshLoader(SnapshotProducer producer, XdsMetrics metrics, ILogger<MeshLoader> logger)
{
    private readonly ConcurrentDictionary<MeshKey, IReadOnlySet<string>> _namespacesUsed = new();
    private readonly MeshLoadOrder _order = new();

    // What the last good load of each mesh parsed: a reload parses only the rows that changed.
    private readonly ConcurrentDictionary<MeshKey, ParsedRows> _parsed = new();

    // What the last read of each mesh read: a reload transfers in full only the rows that changed.
    private readonly MeshRowReader _rows = new();

    /// <summary>Makes the next read of every loaded mesh a full reload (<see cref="MeshRowReader.Distrust"/>).</summary>
    public void DistrustIncrements(string reason) => _rows.Distrust(reason);

    /// <summary>The loaded meshes of an account whose virtual nodes discover through the named Cloud Map namespace.</summary>
    public IReadOnlyList<MeshKey> MeshesUsingNamespace(string accountId, string namespaceName) =>
        _namespacesUsed.Where(m => m.Key.AccountId == accountId && m.Value.Contains(namespaceName)).Select(m => m.Key).ToList();

    /// <summary>
    /// Reads the mesh and hands its graph to the producer. Loads of different meshes may run at once; a load of a
    /// mesh that finishes after a later load of the same mesh is dropped (<see cref="MeshLoadOrder"/>), so an older
    /// read never replaces a newer one. With <paramref name="changes"/> (what the change log named since the mesh's
    /// last load), only those rows are read, unless that cannot be trusted (<see cref="MeshRowReader"/>).
    /// </summary>
    public async Task LoadAsync(MeshDbContext db, MeshKey mesh, MeshChanges? changes, CancellationToken cancellationToken)
    {
        var reader = new ChangeLogReader(db);
        using var activity = XdsTracing.Source.StartActivity("LoadMesh");
        activity?.SetTag("appmesh.mesh", mesh.MeshName);
        activity?.SetTag("appmesh.account", mesh.AccountId);
        var ticket = _order.Begin(mesh);
        metrics.MeshLoaded();
        var (rows, counts) = await metrics.QueryAsync(() => _rows.ReadAsync(db, mesh, changes, cancellationToken));
        metrics.MeshRowsRead(counts.Rows, counts.ReadInFull);
        metrics.MeshRead(counts.Kind == MeshRowReader.ReadKind.Incremental ? null : counts.Reason);
        activity?.SetTag("appmesh.resources", rows.Count);
        activity?.SetTag("appmesh.resources_read_in_full", counts.ReadInFull);
        if (!rows.Any(r => r.Kind == MeshResourceKinds.Mesh))
        {
            Apply(mesh, ticket, null, new HashSet<string>());
            return;
        }

        try
        {
            var graph = MeshGraph.Build(
                rows,
                _parsed.GetValueOrDefault(mesh),
                out var parsed);
            _parsed[mesh] = parsed;
            if (graph.Observability.Problems.Count > 0)
            {
                logger.MeshTagsIgnored(mesh.ToString(), string.Join("; ", graph.Observability.Problems));
            }

            var referenced = CloudMapRegistry.ReferencedBy(graph);
            if (referenced.Count > 0)
            {
                var (existing, instances) = await metrics.QueryAsync(() => reader.CloudMapServicesAsync(mesh.AccountId, referenced, cancellationToken));
                graph = graph with { CloudMap = Registry(existing, instances) };
            }

            Apply(mesh, ticket, graph, referenced.Select(r => r.NamespaceName).ToHashSet(StringComparer.Ordinal));
        }
        catch (InvalidMeshGraphException e)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            metrics.MeshRejected();
            logger.MeshRejected(mesh.ToString(), e.Message);
        }
    }

    private void Apply(MeshKey mesh, long ticket, MeshGraph? graph, IReadOnlySet<string> namespaces)
    {
        var applied = _order.TryApply(mesh, ticket, () =>
        {
            if (graph is null)
            {
                _namespacesUsed.TryRemove(mesh, out _);
                _parsed.TryRemove(mesh, out _);
                _rows.Forget(mesh);
            }
            else
            {
                _namespacesUsed[mesh] = namespaces;
            }

            producer.SetMesh(mesh, graph);
        });
        if (!applied)
        {
            metrics.MeshLoadSuperseded();
        }
    }

    private static CloudMapRegistry Registry(List<(string NamespaceName, string ServiceName)> existing, List<CloudMapRegistryRow> instances)
    {
        var byService = instances.ToLookup(i => (i.NamespaceName, i.ServiceName));
        return new CloudMapRegistry(existing.Order().Select(s => new CloudMapService(
            s.NamespaceName,
            s.ServiceName,
            byService[s].OrderBy(i => i.InstanceId, StringComparer.Ordinal).Select(i => new CloudMapInstance(
                i.InstanceId,
                JsonSerializer.Deserialize<Dictionary<string, string>>(i.Attributes)!.OrderBy(a => a.Key, StringComparer.Ordinal).ToEquatableList(),
                i.HealthStatus == "HEALTHY")).ToEquatableList())).ToEquatableList());
    }
}
