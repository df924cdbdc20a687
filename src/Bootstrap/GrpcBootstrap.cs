using System.Text;
using System.Text.Json;
using Mesh.Model.Identity;

namespace Mesh.Bootstrap;

/// <summary>
/// The xDS bootstrap a proxyless gRPC application reads from <c>GRPC_XDS_BOOTSTRAP</c> (gRFC A27), for the same
/// virtual node (or gateway) and xDS server an Envoy bootstrap would name: the server with insecure channel
/// credentials and <c>xds_v3</c>, the node (with an empty <c>locality</c>, which grpc-js requires), and the listener
/// name template xDS-enabled gRPC servers need (gRFC A36) in the form Mesh offers those listeners under; and, when
/// the virtual node's TLS reads files, the <c>file_watcher</c> certificate provider instances for them (gRFC A29),
/// under the names the xDS server's TLS contexts give them (<see cref="GrpcCertificateProviders"/>).
/// </summary>
public static class GrpcBootstrap
{
    /// <summary>The settings of <see cref="BootstrapArguments"/> that apply to a gRPC bootstrap.</summary>
    public static IReadOnlySet<string> Settings { get; } = new HashSet<string>(StringComparer.Ordinal) { "node", "cluster", "xds", "format", "grpc" };

    /// <summary>How often gRPC reads a provider's files again, so that rotated certificates are taken up.</summary>
    public const string CertificateRefreshInterval = "60s";

    public static string ToJson(BootstrapOptions options, IReadOnlyList<GrpcCertificateProvider>? certificateProviders = null)
    {
        NodeId.Parse(options.NodeId, subject: "node");
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
            json.WriteString("server_listener_resource_name_template", GrpcServerListener.Template);
            if (certificateProviders is { Count: > 0 })
            {
                WriteCertificateProviders(json, certificateProviders);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteCertificateProviders(Utf8JsonWriter json, IReadOnlyList<GrpcCertificateProvider> providers)
    {
        json.WriteStartObject("certificate_providers");
        foreach (var provider in providers)
        {
            json.WriteStartObject(provider.Name);
            json.WriteString("plugin_name", "file_watcher");
            json.WriteStartObject("config");
            if (provider.CertificateFile is { } certificate)
            {
                json.WriteString("certificate_file", certificate);
            }

            if (provider.PrivateKeyFile is { } key)
            {
                json.WriteString("private_key_file", key);
            }

            if (provider.CaCertificateFile is { } ca)
            {
                json.WriteString("ca_certificate_file", ca);
            }

            json.WriteString("refresh_interval", CertificateRefreshInterval);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }
}
