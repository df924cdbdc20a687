using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Model.Tests.Wire;

/// <summary>The Cloud Map (servicediscovery) model loads with the same reader as App Mesh's, and its maps are validated.</summary>
public sealed class CloudMapModelTests
{
    private static readonly ShapeValidator Validator = new(ServiceModel.CloudMap);

    [Fact]
    public void Model_HasThe30Operations_AllPostToRoot()
    {
        Assert.Equal(30, ServiceModel.CloudMap.Operations.Count);
        Assert.All(ServiceModel.CloudMap.Operations, o => Assert.Equal(("POST", "/"), (o.HttpMethod, o.RequestUri)));
    }

    [Fact]
    public void Map_KeepsValidEntries()
    {
        var result = Validator.Validate("RegisterInstanceRequest", JsonNode.Parse("""{"ServiceId":"srv-1","InstanceId":"i-1","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1","zone":"a"},"madeUp":1}"""));
        Assert.True(result.IsValid);
        Assert.Equal("""{"AWS_INSTANCE_IPV4":"10.0.0.1","zone":"a"}""", result.Value!["Attributes"]!.ToJsonString());
        Assert.Null(result.Value["madeUp"]);
    }

    [Theory]
    [InlineData("""{"ServiceId":"s","InstanceId":"i","Attributes":[]}""", "Attributes: must be a JSON object of string keys to values, got an array")]
    [InlineData("""{"ServiceId":"s","InstanceId":"i","Attributes":{"k":1}}""", "Attributes[\"k\"]: must be a string, got a number")]
    [InlineData("""{"ServiceId":"s","InstanceId":"i","Attributes":{"bad key":"v"}}""", "Attributes[\"bad key\"]: key must match the pattern")]
    [InlineData("""{"ServiceId":"s","InstanceId":"i","Attributes":{"k":null}}""", "Attributes[\"k\"]: must not be null")]
    [InlineData("""{"ServiceId":"s","InstanceId":"i\n","Attributes":{"k":"v"}}""", "InstanceId: must match the pattern")]
    [InlineData("""{"ServiceId":"s","InstanceId":"i","Attributes":{"k\n":"v"}}""", "Attributes[\"k?\"]: key must match the pattern")]
    public void MapViolations_NameTheEntry(string json, string expected)
    {
        var result = Validator.Validate("RegisterInstanceRequest", JsonNode.Parse(json));
        Assert.False(result.IsValid);
        Assert.Contains(result.Violations, v => v.ToString().StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void MapSize_IsChecked()
    {
        var attributes = new JsonObject(Enumerable.Range(0, 31).Select(i => KeyValuePair.Create($"k{i}", (JsonNode?)JsonValue.Create("v"))));
        var result = Validator.Validate("UpdateServiceAttributesRequest", new JsonObject { ["ServiceId"] = "s", ["Attributes"] = attributes });
        Assert.Contains(result.Violations, v => v.ToString() == "Attributes: must have at most 30 entry(ies), got 31");
    }
}
