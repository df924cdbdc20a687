using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Translation.Tests.Support;

/// <summary>
/// Random specs of every kind, made from the App Mesh model's own shapes, kept only when the API would accept them:
/// every member the model has can appear (unions pick one member, optional members come and go, lists and maps
/// vary in length), strings come from a pool of ordinary and hostile values cut to each shape's length and pattern,
/// and numbers from each shape's edges and a few usual values. A spec is kept when it passes what the API runs on a
/// create's spec: the model's constraints (<see cref="ShapeValidator"/>) and App Mesh's own rules
/// (<see cref="SpecRules"/>). Names a spec refers to come from the pools a test builds its mesh from, so references
/// mostly resolve. The same seed gives the same specs.
/// </summary>
internal sealed class ModelSpecs
{
    public static readonly string[] NodeNames = ["n0", "n1", "n2", "n3"];
    public static readonly string[] ServiceNames = ["svc0.local", "svc1.local", "Svc0.local", "*", "s2"];
    public static readonly string[] RouterNames = ["r0", "r1"];
    public static readonly string[] GatewayNames = ["g0", "g1"];
    public static readonly string[] ChildNames = ["a", "b", "c"];

    private static readonly ShapeValidator Validator = new(ServiceModel.AppMesh);

    /// <summary>Ordinary values first, then the odd and hostile ones a caller may send.</summary>
    private static readonly string[] Strings =
    [
        "/", "/a", "/a/b/", "a", "x-color", "blue", "svc.A", "example.com", "*.example.com", "10.0.0.1", "::1",
        "/certs/chain.pem", "/certs/key.pem", "spiffe://mesh/ns/sa", "%START_TIME% %RESPONSE_CODE%", "%%", "^/api/.*$",
        "(a|b)+", "[a-z]{2,}", "", " ", "a b", "A", "UPPER-case", "x_y", "é", "日本", "🙂", "*", "**", ".", "..", "a.b.",
        "-", "/a?b=c", "/a#b", "/%2F", "a:b", "a\tb", "a\"b", "a\\b", "{", "}", "${x}", "%", "100% done",
        "\u00a0", "\u200b", "\ufeff", new string('a', 255), new string('a', 1024), "GET", "foo=bar", "x-amzn-trace-id",
        ":authority", "host", "connection", "te", "grpc-timeout", "Content-Type", "a\r\nb", "a\u0000b", "\n", "a*b", "*a*",
        "arn:aws:acm:us-east-1:111122223333:certificate/abc", "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x",
    ];

    private static readonly long[] Numbers = [0, 1, 2, 3, 5, 10, 100, 1000, 8080, 9090, 65535, 65536, -1, int.MaxValue, long.MaxValue];

    private readonly Random _random;

    public ModelSpecs(int seed) => _random = new Random(seed);

    /// <summary>Up to <paramref name="tries"/> specs of <paramref name="kind"/> until one is accepted; null when none is.</summary>
    public JsonObject? Accepted(ResourceKind kind, int tries = 20)
    {
        var shape = kind.WireName switch
        {
            "mesh" => "MeshSpec",
            "virtualNode" => "VirtualNodeSpec",
            "virtualService" => "VirtualServiceSpec",
            "virtualRouter" => "VirtualRouterSpec",
            "route" => "RouteSpec",
            "virtualGateway" => "VirtualGatewaySpec",
            "gatewayRoute" => "GatewayRouteSpec",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        for (var i = 0; i < tries; i++)
        {
            var spec = Value(ServiceModel.AppMesh.Shape(shape), shape, depth: 0);
            var result = Validator.Validate(shape, spec, "spec");
            if (result.IsValid && result.Value is JsonObject kept && SpecRules.Check(kind, kept).Count == 0)
            {
                return kept;
            }
        }

        return null;
    }

    private JsonNode? Value(Shape shape, string member, int depth) => shape.Type switch
    {
        ShapeType.Structure => Structure(shape, depth),
        ShapeType.List => List(shape, member, depth),
        ShapeType.Map => Map(shape, depth),
        ShapeType.String => Text(shape, member),
        ShapeType.Integer or ShapeType.Long => Number(shape, member),
        ShapeType.Boolean => JsonValue.Create(Chance(0.5)),
        ShapeType.Timestamp => JsonValue.Create(1_700_000_000),
        _ => null,
    };

    private JsonObject Structure(Shape shape, int depth)
    {
        var value = new JsonObject();
        var members = shape.IsUnion ? [shape.Members[_random.Next(shape.Members.Count)]] : shape.Members.Where(m => shape.Required.Contains(m.Name) || (depth < 8 && Chance(0.5)));
        foreach (var member in members)
        {
            value[member.Name] = Value(ServiceModel.AppMesh.Shape(member.ShapeName), member.Name, depth + 1);
        }

        return value;
    }

    private JsonArray List(Shape shape, string member, int depth)
    {
        var count = (int)Math.Clamp(_random.Next(0, 4), shape.Min ?? 0, shape.Max ?? 3);
        var element = ServiceModel.AppMesh.Shape(shape.ElementShape!);
        var list = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            list.Add(Value(element, member, depth + 1));
        }

        return list;
    }

    private JsonObject Map(Shape shape, int depth)
    {
        var map = new JsonObject();
        for (var i = _random.Next(0, 3); i > 0; i--)
        {
            if (Text(ServiceModel.AppMesh.Shape(shape.KeyShape!), "key")?.GetValue<string>() is { } key)
            {
                map[key] = Value(ServiceModel.AppMesh.Shape(shape.ValueShape!), "value", depth + 1);
            }
        }

        return map;
    }

    private JsonValue? Text(Shape shape, string member)
    {
        if (shape.Enum is { Count: > 0 } values)
        {
            return JsonValue.Create(values[_random.Next(values.Count)]);
        }

        string[] pool = member switch
        {
            "virtualNodeName" or "virtualNode" => NodeNames,
            "virtualServiceName" => ServiceNames,
            "virtualRouterName" => RouterNames,
            _ => Strings,
        };

        // Mostly a value the shape allows (so that specs get accepted), sometimes any value (so that refusals are seen).
        var fits = pool.Where(s => Fits(shape, s)).ToArray();
        var choice = fits.Length > 0 && Chance(0.9) ? fits[_random.Next(fits.Length)] : pool[_random.Next(pool.Length)];
        return JsonValue.Create(choice);
    }

    private static bool Fits(Shape shape, string text)
    {
        var length = ShapeValidator.CountCharacters(text);
        return length >= (shape.Min ?? 0) && length <= (shape.Max ?? int.MaxValue) && (shape.Pattern?.IsMatch(text) ?? true);
    }

    private JsonValue Number(Shape shape, string member)
    {
        if (member is "port" && Chance(0.8))
        {
            return JsonValue.Create(Chance(0.6) ? 8080 : 9090);
        }

        var min = shape.Min ?? long.MinValue;
        var max = shape.Max ?? long.MaxValue;
        var fits = Numbers.Where(n => n >= min && n <= max).Append(min == long.MinValue ? 0 : min).Append(max == long.MaxValue ? 1 : max).ToArray();
        var choice = Chance(0.9) ? fits[_random.Next(fits.Length)] : Numbers[_random.Next(Numbers.Length)];
        return shape.Type == ShapeType.Integer && choice is > int.MaxValue or < int.MinValue
            ? JsonValue.Create(choice.ToString(CultureInfo.InvariantCulture))
            : JsonValue.Create(choice);
    }

    private bool Chance(double p) => _random.NextDouble() < p;
}
