using System.Collections.Frozen;
using System.Text.Json;

namespace Mesh.Model.Wire;

/// <summary>
/// A service model (App Mesh 2019-01-25, Cloud Map 2017-03-14), loaded once from the embedded model JSON. It
/// is the single source of truth for HTTP bindings, member names and constraints, so the API cannot drift
/// from the wire contract the AWS CLI and SDKs were generated from.
/// </summary>
public sealed class ServiceModel
{
    private static readonly Lazy<ServiceModel> LazyAppMesh = new(() => LoadEmbedded("appmesh-2019-01-25.model.json"));

    private static readonly Lazy<ServiceModel> LazyCloudMap = new(() => LoadEmbedded("servicediscovery-2017-03-14.model.json"));

    private ServiceModel(FrozenDictionary<string, Shape> shapes, IReadOnlyList<Operation> operations)
    {
        Shapes = shapes;
        Operations = operations;
        OperationsByName = operations.ToFrozenDictionary(o => o.Name);
    }

    /// <summary>The App Mesh model embedded in this assembly.</summary>
    public static ServiceModel AppMesh => LazyAppMesh.Value;

    /// <summary>The Cloud Map (servicediscovery, awsJson1.1) model embedded in this assembly.</summary>
    public static ServiceModel CloudMap => LazyCloudMap.Value;

    public FrozenDictionary<string, Shape> Shapes { get; }

    public IReadOnlyList<Operation> Operations { get; }

    public FrozenDictionary<string, Operation> OperationsByName { get; }

    public Shape Shape(string name) => Shapes.TryGetValue(name, out var shape)
        ? shape
        : throw new KeyNotFoundException($"The service model has no shape named '{name}'.");

    public static ServiceModel Parse(JsonElement root)
    {
        var shapes = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var property in root.GetProperty("shapes").EnumerateObject())
        {
            shapes[property.Name] = Wire.Shape.Parse(property.Name, property.Value);
        }

        var operations = root.GetProperty("operations").EnumerateObject()
            .Select(p => Operation.Parse(p.Name, p.Value))
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .ToList();
        return new ServiceModel(shapes.ToFrozenDictionary(StringComparer.Ordinal), operations);
    }

    private static ServiceModel LoadEmbedded(string resourceName)
    {
        using var stream = typeof(ServiceModel).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded resource {resourceName} is missing.");
        using var document = JsonDocument.Parse(stream);
        return Parse(document.RootElement);
    }
}
