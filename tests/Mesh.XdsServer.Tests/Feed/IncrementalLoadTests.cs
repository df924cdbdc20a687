using System.Text.Json;
using Mesh.Model.Graph;
using Mesh.Persistence;
using Mesh.Testing;
using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Identity;
using Mesh.XdsServer.Snapshots;
using Mesh.XdsServer.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>
/// The feed's incremental loads (<see cref="ChangeFeedOptions.IncrementalLoads"/>): after random sequences of every
/// kind of write (creates, updates, deletes, tags, the mesh row itself, commits out of sequence order), a server that
/// reads only what the log names serves the graph a full read of the database gives, and it and a replica that reads
/// every row at every load serve the snapshot versions a server started afresh serves.
/// </summary>
public sealed class IncrementalLoadTests
{
    private static readonly MeshKey Demo = new(MeshRows.Account, "demo");

    // Every node the test has: three that exist throughout, and those the random writes create, change and delete
    // (n0–n5, and h0–h3 whose writes are held open and committed out of sequence order).
    private static readonly string[] Watched =
        ["web", "api-v1", "billing", .. Enumerable.Range(0, 6).Select(i => $"n{i}"), .. Enumerable.Range(0, 4).Select(i => $"h{i}")];

    /// <summary>
    /// Two servers on one database follow ten batches of random writes (one reading incrementally or in full as
    /// <paramref name="incremental"/> says, the other in full), each coalescing the writes into loads as its own
    /// timing gives. After each batch both serve a full read's graph, and every watched identity's snapshot version
    /// (none, for a node that does not exist) is the one a third server started afresh on the database serves: a
    /// version depends on the graph only, not on which graphs a server happened to load before, so a proxy moved
    /// between replicas is sent nothing new.
    /// </summary>
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    public async Task After_Random_Writes_Every_Server_Serves_What_A_Fresh_Server_Serves(int seed, bool incremental)
    {
        var store = await ChangeFeedTests.NewStoreAsync();
        await store.ApplyAsync(MeshRows.Demo(), TaskTimeouts.Token());
        await using var first = await StartAsync(store, incremental);
        await using var full = await StartAsync(store, incremental: false);
        var identities = Watched.Select(n => new ProxyIdentity(Demo, ProxyKind.VirtualNode, n)).ToList();
        var history = new VersionHistory();
        var watches = identities.SelectMany(i => new[]
        {
            first.Cache.Watch(i, s => history.Add("first", i, s)),
            full.Cache.Watch(i, s => history.Add("full", i, s)),
        }).ToList();
        try
        {
            var random = new Random(seed);
            for (var batch = 0; batch < 10; batch++)
            {
                await WriteBatchAsync(store, random);
                var max = await MaxSeqAsync(store);
                await Eventually.TrueAsync(() => Watermark(first) >= max && Watermark(full) >= max);

                var expected = await FullReadGraphAsync(store);
                Assert.True(MeshGraphDiff.Between(expected, first.Producer.Mesh(Demo)).IsEmpty, $"batch {batch}: the first server's graph differs from a full read");
                Assert.True(MeshGraphDiff.Between(expected, full.Producer.Mesh(Demo)).IsEmpty, $"batch {batch}: the full-reading server's graph differs from a full read");

                await using var fresh = await StartAsync(store, incremental);
                using var freshWatches = new CompositeDisposable(identities.Select(i => fresh.Cache.Watch(i, _ => { })));
                var truth = Versions(fresh, identities);
                Assert.True(
                    truth.SequenceEqual(Versions(first, identities)) && truth.SequenceEqual(Versions(full, identities)),
                    $"batch {batch}: the versions differ from a fresh server's\n{Table(identities, expected, fresh, first, full)}\n{history}");
            }

            // The comparison is between the two ways of reading, not one way twice.
            Assert.Equal(incremental, first.Metrics.Get("mesh_xds_mesh_reads_incremental_total") > 0);
            Assert.Equal(0, full.Metrics.Get("mesh_xds_mesh_reads_incremental_total"));
            Assert.True(full.Metrics.Get("mesh_xds_mesh_reads_full_total", "reason=\"no_log\"") > 0);
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
        }
    }

    private static List<string?> Versions(XdsTestHost host, IEnumerable<ProxyIdentity> identities) =>
        [.. identities.Select(i => host.Cache.Current(i)?.Version)];

    private static string Table(List<ProxyIdentity> identities, MeshGraph graph, XdsTestHost fresh, XdsTestHost first, XdsTestHost full) =>
        string.Join('\n', identities.Select(i =>
            $"{i.Name} (node {(graph.FindVirtualNode(i.Name) is null ? "absent" : "present")}): fresh {fresh.Cache.Current(i)?.Version ?? "none"}, "
            + $"first {first.Cache.Current(i)?.Version ?? "none"}, full {full.Cache.Current(i)?.Version ?? "none"}"));

    /// <summary>Every snapshot each server handed its watchers, per identity, in order: said when a comparison fails.</summary>
    private sealed class VersionHistory
    {
        private readonly Lock _lock = new();
        private readonly List<string> _lines = [];

        public void Add(string server, ProxyIdentity identity, Snapshot snapshot)
        {
            lock (_lock)
            {
                _lines.Add($"{server} {identity.Name} -> {snapshot.Version}");
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    private sealed class CompositeDisposable(IEnumerable<IDisposable> items) : IDisposable
    {
        private readonly List<IDisposable> _items = [.. items];

        public void Dispose() => _items.ForEach(i => i.Dispose());
    }

    private static async Task<XdsTestHost> StartAsync(MeshStore store, bool incremental)
    {
        var host = await XdsTestHost.StartAsync(store.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["Xds:Feed:IncrementalLoads"] = incremental ? "true" : "false",
            ["Xds:Feed:UnwatchedDelay"] = "00:00:00",
        });
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<FeedStatus>().Loaded);
        return host;
    }

    private static long Watermark(XdsTestHost host) => host.Services.GetRequiredService<FeedStatus>().Watermark;

    /// <summary>
    /// Up to a dozen writes, each in a transaction of its own: most commit at once, a few (each on a node no other
    /// write of the batch touches) are held open and committed last in random order, so that their sequence numbers
    /// become visible after later ones.
    /// </summary>
    private static async Task WriteBatchAsync(MeshStore store, Random random)
    {
        var held = new List<(MeshDbContext Db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction Transaction)>();
        try
        {
            foreach (var node in Enumerable.Range(0, 4).Where(_ => random.Next(3) == 0).Select(i => $"h{i}"))
            {
                var db = store.Open();
                var transaction = await db.Database.BeginTransactionAsync(TaskTimeouts.Token());
                held.Add((db, transaction));
                await StageNodeWriteAsync(db, node, random);
                await db.SaveChangesAsync(TaskTimeouts.Token());
            }

            for (var i = random.Next(1, 9); i > 0; i--)
            {
                await using var db = store.Open();
                await using var transaction = await db.Database.BeginTransactionAsync(TaskTimeouts.Token());
                if (random.Next(3) == 0)
                {
                    await StageMeshWriteAsync(db, random);
                }
                else
                {
                    await StageNodeWriteAsync(db, $"n{random.Next(6)}", random);
                }

                await db.SaveChangesAsync(TaskTimeouts.Token());
                await transaction.CommitAsync(TaskTimeouts.Token());
            }

            foreach (var (db, transaction) in held.OrderBy(_ => random.Next()))
            {
                await transaction.CommitAsync(TaskTimeouts.Token());
            }
        }
        finally
        {
            foreach (var (db, transaction) in held)
            {
                await transaction.DisposeAsync();
                await db.DisposeAsync();
            }
        }
    }

    /// <summary>Creates a node and the service it provides; or updates its spec, writes its tags, or deletes both.</summary>
    private static async Task StageNodeWriteAsync(MeshDbContext db, string node, Random random)
    {
        var service = $"{node}.svc.local";
        var existing = await Rows(db).Where(r => r.Kind == MeshResourceKinds.VirtualNode && r.Name == node).SingleOrDefaultAsync(TaskTimeouts.Token());
        if (existing is null)
        {
            Create(db, MeshResourceKinds.VirtualNode, node, NodeSpec(random));
            Create(db, MeshResourceKinds.VirtualService, service, JsonSerializer.Serialize(new { provider = new { virtualNode = new { virtualNodeName = node } } }));
            return;
        }

        switch (random.Next(3))
        {
            case 0:
                existing.Spec = NodeSpec(random);
                existing.Version++;
                Log(db, existing, "update");
                break;
            case 1:
                // As TagResource does: the version stays, the log names the row.
                existing.Tags = $$"""[{"key": "rev", "value": "{{random.Next(1000)}}"}]""";
                Log(db, existing, "tag");
                break;
            default:
                var provided = await Rows(db).SingleAsync(r => r.Kind == MeshResourceKinds.VirtualService && r.Name == service, TaskTimeouts.Token());
                db.Resources.Remove(provided);
                Log(db, provided, "delete");
                db.Resources.Remove(existing);
                Log(db, existing, "delete");
                break;
        }
    }

    /// <summary>
    /// The mesh row: its tags (its tracing tags, which every proxy's configuration reads; the version stays) or its
    /// spec (the egress filter).
    /// </summary>
    private static async Task StageMeshWriteAsync(MeshDbContext db, Random random)
    {
        var mesh = await Rows(db).SingleAsync(r => r.Kind == MeshResourceKinds.Mesh, TaskTimeouts.Token());
        if (random.Next(2) == 0)
        {
            mesh.Tags = JsonSerializer.Serialize(new[]
            {
                new { key = "mesh.tracing/provider", value = "zipkin" },
                new { key = "mesh.tracing/sampling", value = random.Next(101).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
            Log(db, mesh, "tag");
        }
        else
        {
            mesh.Spec = random.Next(2) == 0 ? """{"egressFilter": {"type": "ALLOW_ALL"}}""" : """{"egressFilter": {"type": "DROP_ALL"}}""";
            mesh.Version++;
            Log(db, mesh, "update");
        }
    }

    private static IQueryable<ResourceEntity> Rows(MeshDbContext db) =>
        db.Resources.Where(r => r.AccountId == Demo.AccountId && r.MeshName == Demo.MeshName);

    private static string NodeSpec(Random random) =>
        JsonSerializer.Serialize(new
        {
            listeners = new[] { new { portMapping = new { port = 8000 + random.Next(5), protocol = "http" } } },
            serviceDiscovery = new { dns = new { hostname = $"10.1.0.{random.Next(1, 250)}" } },
        });

    private static void Create(MeshDbContext db, string kind, string name, string spec)
    {
        var now = DateTimeOffset.UtcNow;
        var row = new ResourceEntity
        {
            AccountId = Demo.AccountId,
            MeshName = Demo.MeshName,
            Kind = kind,
            ParentName = "",
            Name = name,
            Arn = $"arn:aws:appmesh:us-east-1:{Demo.AccountId}:mesh/{Demo.MeshName}/{kind}/{name}",
            Uid = Guid.NewGuid(),
            Version = 1,
            Spec = spec,
            Tags = "[]",
            ResourceOwner = Demo.AccountId,
            CreatedAt = now,
            LastUpdatedAt = now,
        };
        db.Resources.Add(row);
        Log(db, row, "create");
    }

    private static void Log(MeshDbContext db, ResourceEntity row, string operation) => db.Changes.Add(new ChangeEntity
    {
        AccountId = row.AccountId,
        MeshName = row.MeshName,
        Kind = row.Kind,
        ParentName = row.ParentName,
        Name = row.Name,
        Version = row.Version,
        Operation = operation,
        At = DateTimeOffset.UtcNow,
    });

    private static async Task<long> MaxSeqAsync(MeshStore store)
    {
        await using var db = store.Open();
        return await new ChangeLogReader(db).MaxSeqAsync(TaskTimeouts.Token());
    }

    private static async Task<MeshGraph> FullReadGraphAsync(MeshStore store)
    {
        await using var db = store.Open();
        var rows = await new ChangeLogReader(db).MeshRowsAsync(Demo.AccountId, Demo.MeshName, TaskTimeouts.Token());
        return MeshGraph.Build(rows.Select(r => new MeshResourceRow(r.Kind, r.ParentName, r.Name, r.Version, r.Spec, r.Tags)));
    }
}
