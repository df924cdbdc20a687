using System.Text;
using System.Text.Json;

namespace Mesh.Bootstrap;

/// <summary>
/// The xDS bootstrap a proxyless gRPC application reads from <c>GRPC_XDS_BOOTSTRAP</c> (gRFC A27), for the same
/// virtual node (or gateway) and xDS server an Envoy bootstrap would name: the server with insecure channel
/// credentials and <c>xds_v3</c>, the node (with an empty <c>locality</c>, which grpc-js requires), and the listener
/// name template xDS-enabled gRPC servers need (gRFC A36) in the form Mesh offers those listeners under.
/// </summary>
public static class GrpcBootstrap
{
    /// <summary>The settings of <see cref="BootstrapArguments"/> that apply to a gRPC bootstrap.</summary>
    public static IReadOnlySet<string> Settings { get; } = new HashSet<string>(StringComparer.Ordinal) { "node", "cluster", "xds", "format", "grpc" };

    public static string ToJson(BootstrapOptions options)
    {
        Mesh.Model.Identity.NodeId.Parse(options.NodeId, subject: "node");
        if (options.Cluster is { } cluster && string.IsNullOrWhiteSpace(cluster))
        {
            throw new ArgumentException("cluster must not be empty.");
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("xds_servers");
            json.WriteStartObject();
            json.WriteString("server_uri", options.Xds.ToString());
            json.WriteStartArray("channel_creds");
            json.WriteStartObject();
            json.WriteString("type", "insecure");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("server_features");
            json.WriteStringValue("xds_v3");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("node");
            json.WriteString("id", options.NodeId);
            json.WriteString("cluster", options.Cluster ?? options.NodeId);
            json.WriteStartObject("locality");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("server_listener_resource_name_template", Mesh.Model.Identity.GrpcServerListener.Template);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
