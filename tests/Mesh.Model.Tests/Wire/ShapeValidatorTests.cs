using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Model.Tests.Wire;

public sealed class ShapeValidatorTests
{
    private static readonly ShapeValidator Validator = new(ServiceModel.AppMesh);

    [Fact]
    public void ValidSpec_PassesAndKeepsKnownMembersOnly()
    {
        var spec = JsonNode.Parse("""{"listeners":[{"portMapping":{"port":8080,"protocol":"http"}}],"madeUp":true}""");
        var result = Validator.Validate("VirtualNodeSpec", spec, "spec");
        Assert.True(result.IsValid);
        Assert.Null(result.Value!["madeUp"]);
        Assert.Equal(8080, result.Value["listeners"]![0]!["portMapping"]!["port"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("""{"listeners":[{"portMapping":{"port":0,"protocol":"http"}}]}""", "spec.listeners[0].portMapping.port: must be at least 1, got 0")]
    [InlineData("""{"listeners":[{"portMapping":{"port":"80","protocol":"http"}}]}""", "spec.listeners[0].portMapping.port: must be an integer, got a string")]
    [InlineData("""{"listeners":[{"portMapping":{"port":80}}]}""", "spec.listeners[0].portMapping.protocol: is required")]
    [InlineData("""{"listeners":[{"portMapping":{"port":80,"protocol":"udp"}}]}""", "spec.listeners[0].portMapping.protocol: must be one of [http, tcp, http2, grpc], got \"udp\"")]
    [InlineData("""{"serviceDiscovery":{}}""", "spec.serviceDiscovery: must set exactly one of awsCloudMap, dns, but sets none")]
    [InlineData("""{"listeners":{}}""", "spec.listeners: must be a JSON array, got an object")]
    [InlineData("""{"serviceDiscovery":{"awsCloudMap":{"namespaceName":"n","serviceName":"s","attributes":[{"key":" ","value":"v"}]}}}""",
        "spec.serviceDiscovery.awsCloudMap.attributes[0].key: must match the pattern")]
    public void Violations_NameTheirJsonPath(string json, string expected)
    {
        var result = Validator.Validate("VirtualNodeSpec", JsonNode.Parse(json), "spec");
        Assert.False(result.IsValid);
        Assert.Contains(result.Violations, v => v.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryViolation_IsReported_NotJustTheFirst()
    {
        var spec = JsonNode.Parse("""{"listeners":[{"portMapping":{"port":70000,"protocol":"x"}},{"portMapping":{}}]}""");
        var result = Validator.Validate("VirtualNodeSpec", spec, "spec");
        Assert.Equal(4, result.Violations.Count);
    }

    [Fact]
    public void Strings_AreMeasuredInCharacters()
    {
        // 255 astral-plane characters are 510 UTF-16 code units, but 255 characters: a valid name.
        var name = string.Concat(Enumerable.Repeat("\U0001F600", 255));
        Assert.True(Validator.Validate("ResourceName", JsonValue.Create(name), "meshName").IsValid);
        Assert.False(Validator.Validate("ResourceName", JsonValue.Create(name + "a"), "meshName").IsValid);
    }

    [Fact]
    public void Model_HasEveryOperationWithItsBinding()
    {
        var model = ServiceModel.AppMesh;
        Assert.Equal(38, model.Operations.Count);
        var create = model.OperationsByName["CreateRoute"];
        Assert.Equal(("PUT", "/v20190125/meshes/{meshName}/virtualRouter/{virtualRouterName}/routes"), (create.HttpMethod, create.PathTemplate));
        Assert.Equal("virtualRouterName", model.Shape(create.InputShape!).Members.Single(m => m.Location == MemberLocation.Uri && m.Name == "virtualRouterName").LocationName);
    }
    /// <summary>
    /// <see cref="ShapeValidator.KeepsText"/> is the validator's own verdict on a string without its messages: for every
    /// string shape of the App Mesh model (lengths, enums, patterns, none) and strings at and around each rule's edge, it
    /// says true exactly when <see cref="ShapeValidator.Validate"/> finds no violation.
    /// </summary>
    [Fact]
    public void KeepsText_AgreesWithValidate_OnEveryStringShape()
    {
        var texts = new List<string>
        {
            "", "a", "web", "a\0b", "\0", "a\u0001b", "é", "😀", "😀😀", "a b", ".", "..", "a/b", " ", "http", "tcp", "HTTP", "grpc",
            "111122223333", "11112222333", "1111222233334", "arn:aws:appmesh:us-east-1:111122223333:mesh/m",
        };
        foreach (var length in new[] { 11, 12, 13, 63, 64, 65, 254, 255, 256, 1023, 1024, 1025 })
        {
            texts.Add(new string('x', length));
            // Counted in characters, not UTF-16 units: a pair is one.
            texts.Add(string.Concat(Enumerable.Repeat("😀", length)));
        }

        var checkedShapes = 0;
        var kept = 0;
        foreach (var shape in ServiceModel.AppMesh.Shapes.Values.Where(s => s.Type == ShapeType.String))
        {
            checkedShapes++;
            foreach (var text in texts.Concat(shape.Enum ?? []))
            {
                var validated = Validator.Validate(shape.Name, JsonValue.Create(text)).IsValid;
                Assert.True(validated == ShapeValidator.KeepsText(shape, text), $"{shape.Name}, \"{text}\": Validate says {validated}");
                kept += validated ? 1 : 0;
            }
        }

        Assert.True(checkedShapes > 10, $"only {checkedShapes} string shapes");
        Assert.True(kept > 0, "no text was kept");
    }

    [Fact]
    public void KeepsText_IsFalse_ForAShapeThatIsNotAString() =>
        Assert.False(ShapeValidator.KeepsText(ServiceModel.AppMesh.Shape("VirtualNodeSpec"), "web"));
}
