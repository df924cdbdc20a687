using System.Text.Json.Nodes;
using Mesh.Bootstrap;
using Mesh.Webhook.Hosting;

namespace Mesh.Webhook.Injection;

/// <summary>The containers and volumes added to a pod, as Kubernetes JSON.</summary>
public static class SidecarBuilder
{
    /// <summary>Envoy runs as this UID; mesh-proxy-init exempts its traffic (App Mesh's APPMESH_IGNORE_UID).</summary>
    public const int EnvoyUid = 1337;

    public const int IngressPort = 15000;
    public const int EgressPort = 15001;
    public const int AdminPort = 9901;

    public const string XdsCaVolume = "mesh-xds-ca";
    public const string ProxyTlsVolume = "mesh-proxy-tls";
    public const string SdsSocketVolume = "mesh-sds-socket";
    private const string XdsCaDirectory = "/etc/mesh/xds-ca";
    private const string ProxyTlsDirectory = "/etc/mesh/proxy-tls";

    public static BootstrapOptions Bootstrap(SidecarRequest request, WebhookOptions options) => new()
    {
        NodeId = request.Resource.Value,
        Xds = options.XdsAddress,
        Tls = options.AuthMode == ProxyAuthMode.None ? null : new XdsTlsOptions
        {
            CaFile = $"{XdsCaDirectory}/ca.crt",
            CertificateFile = options.AuthMode == ProxyAuthMode.MutualTls ? $"{ProxyTlsDirectory}/tls.crt" : null,
            PrivateKeyFile = options.AuthMode == ProxyAuthMode.MutualTls ? $"{ProxyTlsDirectory}/tls.key" : null,
        },
        SigV4 = options.AuthMode == ProxyAuthMode.SigV4 ? new SigV4Options { Region = options.Region } : null,
        AdminAddress = options.AdminIpv6 ? "::" : "0.0.0.0",
        SdsSocketPath = options.SdsSocketPath is { Length: > 0 } sds ? sds : null,
    };

    /// <summary>Where a proxyless application's gRPC library reads its bootstrap as JSON (grpc-go, grpc-java, C-core, grpc-js).</summary>
    public const string GrpcBootstrapVariable = "GRPC_XDS_BOOTSTRAP_CONFIG";

    /// <summary>Where it reads the bootstrap's file name; set by the application, it wins over the injected JSON.</summary>
    public const string GrpcBootstrapFileVariable = "GRPC_XDS_BOOTSTRAP";

    /// <summary>
    /// A proxyless application's bootstrap (<see cref="GrpcBootstrap"/>), as the environment variable that carries it:
    /// like Envoy's, it travels in the pod spec (no secrets, no ConfigMap per node). Without the node's certificate
    /// providers, which only the API can read from its spec (<c>GET /envoy/bootstrap?grpc</c>).
    /// </summary>
    public static JsonObject GrpcBootstrapEnv(SidecarRequest request, WebhookOptions options) => new()
    {
        ["name"] = GrpcBootstrapVariable,
        ["value"] = GrpcBootstrap.ToJson(new BootstrapOptions { NodeId = request.Resource.Value, Xds = options.XdsAddress }),
    };

    /// <summary>mesh-proxy-init with App Mesh's variables; it needs root and NET_ADMIN, and only for the moment it runs.</summary>
    public static JsonObject ProxyInit(SidecarRequest request, WebhookOptions options) => new()
    {
        ["name"] = PodReader.ProxyInitContainerName,
        ["image"] = options.ProxyInitImage,
        ["env"] = Env(
            ("APPMESH_APP_PORTS", string.Join(',', request.ApplicationPorts)),
            ("APPMESH_ENVOY_INGRESS_PORT", $"{IngressPort}"),
            ("APPMESH_ENVOY_EGRESS_PORT", $"{EgressPort}"),
            ("APPMESH_ENVOY_ADMIN_PORT", $"{AdminPort}"),
            ("APPMESH_IGNORE_UID", $"{EnvoyUid}"),
            ("APPMESH_EGRESS_IGNORED_PORTS", string.Join(',', request.EgressIgnoredPorts)),
            ("APPMESH_EGRESS_IGNORED_IP", string.Join(',', request.EgressIgnoredIps)),
            ("APPMESH_ENABLE_IPV6", options.EnableIpv6 ? "1" : "0")),
        ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "32Mi" } },
        ["securityContext"] = new JsonObject
        {
            ["runAsUser"] = 0,
            ["runAsNonRoot"] = false,
            ["allowPrivilegeEscalation"] = false,
            ["capabilities"] = new JsonObject { ["add"] = new JsonArray("NET_ADMIN", "NET_RAW"), ["drop"] = new JsonArray("ALL") },
        },
    };

    public static JsonObject Envoy(SidecarRequest request, WebhookOptions options)
    {
        var env = Env(("APPMESH_RESOURCE_ARN", request.Resource.Value));
        var mounts = new JsonArray();
        if (options.AuthMode != ProxyAuthMode.None)
        {
            mounts.Add(new JsonObject { ["name"] = XdsCaVolume, ["mountPath"] = XdsCaDirectory, ["readOnly"] = true });
        }

        if (options.AuthMode == ProxyAuthMode.SigV4)
        {
            // The aws_iam plugin signs with the credentials in Envoy's environment, scoped to this region.
            env.Add(SecretEnv("AWS_ACCESS_KEY_ID", request.CredentialsSecret));
            env.Add(SecretEnv("AWS_SECRET_ACCESS_KEY", request.CredentialsSecret));
            env.Add(new JsonObject { ["name"] = "AWS_REGION", ["value"] = options.Region });
        }
        else if (options.AuthMode == ProxyAuthMode.MutualTls)
        {
            mounts.Add(new JsonObject { ["name"] = ProxyTlsVolume, ["mountPath"] = ProxyTlsDirectory, ["readOnly"] = true });
        }

        if (SdsSocketDirectory(options) is { } sdsDirectory)
        {
            // Read-only is enough: a Unix socket is connected to, not written as a file.
            mounts.Add(new JsonObject { ["name"] = SdsSocketVolume, ["mountPath"] = sdsDirectory, ["readOnly"] = true });
        }

        return new JsonObject
        {
            ["name"] = PodReader.EnvoyContainerName,
            ["image"] = options.EnvoyImage,
            ["command"] = new JsonArray("envoy"),
            // The bootstrap travels in the pod spec itself: it holds no secrets (paths and addresses only), and the
            // pod needs no ConfigMap per virtual node.
            ["args"] = new JsonArray("--config-yaml", EnvoyBootstrap.ToYaml(Bootstrap(request, options)), "--log-level", options.EnvoyLogLevel),
            ["env"] = env,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "stats", ["containerPort"] = AdminPort, ["protocol"] = "TCP" }),
            ["readinessProbe"] = new JsonObject
            {
                ["httpGet"] = new JsonObject { ["path"] = "/ready", ["port"] = AdminPort },
                ["periodSeconds"] = 2,
                ["failureThreshold"] = 3,
            },
            ["resources"] = new JsonObject
            {
                ["requests"] = new JsonObject { ["cpu"] = request.CpuRequest, ["memory"] = request.MemoryRequest },
            },
            ["securityContext"] = new JsonObject
            {
                ["runAsUser"] = EnvoyUid,
                ["runAsGroup"] = EnvoyUid,
                ["runAsNonRoot"] = true,
                ["allowPrivilegeEscalation"] = false,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            },
            ["volumeMounts"] = mounts,
        };
    }

    public static IEnumerable<JsonObject> Volumes(SidecarRequest request, WebhookOptions options)
    {
        if (options.AuthMode != ProxyAuthMode.None)
        {
            yield return SecretVolume(XdsCaVolume, options.XdsCaSecret);
        }

        if (options.AuthMode == ProxyAuthMode.MutualTls)
        {
            yield return SecretVolume(ProxyTlsVolume, request.CredentialsSecret);
        }

        if (SdsSocketDirectory(options) is { } sdsDirectory)
        {
            // The SDS server (SPIRE's agent) runs on each node and puts its socket in a host directory.
            yield return new JsonObject { ["name"] = SdsSocketVolume, ["hostPath"] = new JsonObject { ["path"] = sdsDirectory, ["type"] = "Directory" } };
        }
    }

    /// <summary>The names of the volumes <see cref="Volumes"/> adds, which depend on the settings only.</summary>
    public static IEnumerable<string> VolumeNames(WebhookOptions options)
    {
        if (options.AuthMode != ProxyAuthMode.None)
        {
            yield return XdsCaVolume;
        }

        if (options.AuthMode == ProxyAuthMode.MutualTls)
        {
            yield return ProxyTlsVolume;
        }

        if (SdsSocketDirectory(options) is not null)
        {
            yield return SdsSocketVolume;
        }
    }

    private static string? SdsSocketDirectory(WebhookOptions options) =>
        options.SdsSocketPath is { Length: > 0 } socket ? Path.GetDirectoryName(socket) : null;

    private static JsonObject SecretVolume(string name, string secret) =>
        new() { ["name"] = name, ["secret"] = new JsonObject { ["secretName"] = secret } };

    private static JsonObject SecretEnv(string name, string secret) => new()
    {
        ["name"] = name,
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = secret, ["key"] = name } },
    };

    private static JsonArray Env(params (string Name, string Value)[] variables) =>
        new([.. variables.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["value"] = v.Value })]);
}
