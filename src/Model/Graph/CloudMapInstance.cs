using Mesh.Model.Specs;

namespace Mesh.Model.Graph;

/// <summary>One registered Cloud Map instance as translation sees it: its id, attributes (sorted by key) and health.</summary>
public sealed record CloudMapInstance(string InstanceId, EquatableList<KeyValuePair<string, string>> Attributes, bool Healthy)
{
    public string? Attribute(string key) =>
        Attributes.FirstOrDefault(a => a.Key == key) is { Key: not null } found ? found.Value : null;
}
