using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>A Cloud Map service a virtual node discovers through, with its registered instances sorted by id.</summary>
public sealed record CloudMapService(string NamespaceName, string ServiceName, EquatableList<CloudMapInstance> Instances);
