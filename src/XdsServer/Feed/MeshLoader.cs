using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.XdsServer.Diagnostics;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsServer.Feed;

/// <summary>
/// Reads one mesh from the database, validates it as a whole graph and hands it to the cache. A graph that does
/// not validate is logged and counted, and the last good one keeps serving. Tracing tags that cannot be used do
/// not make a graph invalid: they are logged here, once per load, and the translator leaves them out.
/// </summary>
public sealed class MeshLoader(SnapshotCache cache, XdsMetrics metrics, ILogger<MeshLoader> logger)
{
    public async Task LoadAsync(ChangeLogReader reader, MeshKey mesh, CancellationToken cancellationToken)
    {
        using var activity = XdsTracing.Source.StartActivity("LoadMesh");
        activity?.SetTag("appmesh.mesh", mesh.MeshName);
        activity?.SetTag("appmesh.account", mesh.AccountId);
        var rows = await metrics.QueryAsync(() => reader.MeshRowsAsync(mesh.AccountId, mesh.MeshName, cancellationToken));
        activity?.SetTag("appmesh.resources", rows.Count);
        if (!rows.Any(r => r.Kind == MeshResourceKinds.Mesh))
        {
            cache.SetMesh(mesh, null);
            return;
        }

        try
        {
            var graph = MeshGraph.Build(rows.Select(r => new MeshResourceRow(r.Kind, r.ParentName, r.Name, r.Version, r.Spec, r.Tags)));
            if (graph.Observability.Problems.Count > 0)
            {
                logger.MeshTagsIgnored(mesh.ToString(), string.Join("; ", graph.Observability.Problems));
            }

            cache.SetMesh(mesh, graph);
        }
        catch (InvalidMeshGraphException e)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            metrics.MeshRejected();
            logger.MeshRejected(mesh.ToString(), e.Message);
        }
    }
}
