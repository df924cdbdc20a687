using System.Collections.Concurrent;

namespace Mesh.Translation;

/// <summary>
/// What the sidecars of one graph share of their egress (<see cref="MeshTranslator"/> keeps one per graph): each
/// routing by its nodes' key (<see cref="EgressRouting.KeyOf"/>), and the backends' parts the routings are assembled
/// from, by service and client policy (<see cref="EgressBackend.Key"/>), which a change that does not reach their
/// service carries to the next graph.
/// </summary>
internal sealed class SharedEgress
{
    public ConcurrentDictionary<string, Lazy<EgressRouting>> Routings { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, BackendRouting> Backends { get; } = new(StringComparer.Ordinal);
}
