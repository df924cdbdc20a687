using System.Globalization;
using System.Text.Json.Nodes;
using EnvoyBootstrapProto = Envoy.Config.Bootstrap.V3.Bootstrap;
using Google.Protobuf;
using Mesh.Translation.Tests.Validation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Bootstrap.Tests.Support;

/// <summary>Reads YAML with YamlDotNet (an independent parser) and gives the JSON it means, then the Envoy proto.</summary>
public static class YamlJson
{
    public static JsonNode? ToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        Assert.Single(stream.Documents);
        return Convert(stream.Documents[0].RootNode);
    }

    /// <summary>The proto3 JSON mapping, strictly: unknown fields and unknown <c>Any</c> types fail.</summary>
    public static EnvoyBootstrapProto ParseBootstrap(string yaml)
    {
        var json = ToJson(yaml)!.ToJsonString();
        return new JsonParser(JsonParser.Settings.Default.WithTypeRegistry(EnvoyTypes.Registry)).Parse<EnvoyBootstrapProto>(json);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    /// <summary>YAML 1.2 core schema for plain scalars (what Envoy's loader does too); quoted scalars are strings.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            "null" or "Null" or "NULL" or "~" or "" => null,
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }
}
