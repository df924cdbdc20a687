using System.Globalization;
using System.Text.Json.Nodes;
using EnvoyBootstrapProto = Envoy.Config.Bootstrap.V3.Bootstrap;
using Google.Protobuf;
using Mesh.EnvoyTesting;
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
        YamlMappingNode map => Mapping(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    /// <summary>A mapping, with YAML's merge key (<c>&lt;&lt;: *anchor</c>, as docker-compose.yml uses): own keys win.</summary>
    private static JsonObject Mapping(YamlMappingNode map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name != "<<")
            {
                result[name] = Convert(value);
            }
        }

        foreach (var (key, value) in map.Children)
        {
            if (((YamlScalarNode)key).Value == "<<")
            {
                var sources = value is YamlSequenceNode list ? list.Children : [value];
                foreach (var source in sources.Cast<YamlMappingNode>())
                {
                    foreach (var (k, v) in Mapping(source).ToList())
                    {
                        if (!result.ContainsKey(k))
                        {
                            result[k] = v?.DeepClone();
                        }
                    }
                }
            }
        }

        return result;
    }

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
