using System.Text.Json.Nodes;
using Mesh.Bootstrap.Tests.Support;

namespace Mesh.Bootstrap.Tests;

/// <summary>Whatever a string holds, the YAML reads back as that same string (checked with YamlDotNet).</summary>
public sealed class YamlWriterTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("true")]
    [InlineData("No")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1e3")]
    [InlineData("0x1F")]
    [InlineData("1_000")]
    [InlineData("12:30")]
    [InlineData("0.0.0.0")]
    [InlineData("-1")]
    [InlineData("@type")]
    [InlineData("a: b")]
    [InlineData("a #b")]
    [InlineData("trailing:")]
    [InlineData("it's")]
    [InlineData("line\nbreak\ttab")]
    [InlineData("^cluster\\.((.*?)\\.)")]
    [InlineData("arn:aws:appmesh:us-east-1:111122223333:mesh/demo/virtualNode/web-v1")]
    [InlineData("mesh/demo@444455556666/virtualGateway/edge")]
    [InlineData("- item")]
    [InlineData("[x]")]
    [InlineData("{x}")]
    [InlineData("*alias")]
    [InlineData("&anchor")]
    [InlineData("!tag")]
    [InlineData("%directive")]
    [InlineData("|literal")]
    [InlineData(">folded")]
    [InlineData("\"quoted\"")]
    [InlineData("ünïcödé")]
    public void Strings_RoundTrip(string value)
    {
        var tree = new JsonObject { [value] = value, ["list"] = new JsonArray(value, new JsonObject { ["k"] = value }) };
        var yaml = YamlWriter.Write(tree);
        Assert.True(JsonNode.DeepEquals(tree, YamlJson.ToJson(yaml)), yaml);
    }

    [Fact]
    public void NumbersBooleansAndEmptyContainers_KeepTheirTypes()
    {
        var tree = new JsonObject
        {
            ["int"] = 9901,
            ["negative"] = -3,
            ["bool"] = false,
            ["empty_object"] = new JsonObject(),
            ["empty_list"] = new JsonArray(),
            ["nested"] = new JsonArray(new JsonArray(1, 2), new JsonObject { ["a"] = new JsonObject { ["b"] = true } }),
        };
        var yaml = YamlWriter.Write(tree, "a header\nsecond line");
        Assert.StartsWith("# a header\n# second line\n", yaml, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(tree, YamlJson.ToJson(yaml)), yaml);
    }
}
