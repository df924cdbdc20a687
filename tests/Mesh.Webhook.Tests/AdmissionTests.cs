using System.Text.Json.Nodes;
using Mesh.Bootstrap;
using Mesh.Deploy.Tests.Support;
using Mesh.Webhook.Tests.Support;

namespace Mesh.Webhook.Tests;

/// <summary>Real AdmissionReview requests over HTTPS to the webhook host, and the JSON patches it answers with.</summary>
public sealed class AdmissionTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AVirtualNodePod_GetsProxyInitAndAnEnvoySidecar()
    {
        var pod = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"),
            ("appmesh.k8s.aws/ports", "8080,8443"), ("appmesh.k8s.aws/egressIgnoredPorts", "3306"),
            ("appmesh.k8s.aws/egressIgnoredIPs", "169.254.169.254,10.0.0.0/8"), ("appmesh.k8s.aws/cpuRequests", "50m"));

        var outcome = await _server.ReviewAsync(pod);

        Assert.True(outcome.Allowed);
        Assert.Equal(["/spec/initContainers", "/spec/containers/-", "/spec/volumes"], Paths(outcome));
        var patched = JsonPatch.Apply(pod, outcome.Patch!);

        var init = Container(patched, "initContainers", "proxyinit");
        Assert.Equal("8080,8443", Env(init, "APPMESH_APP_PORTS"));
        Assert.Equal("15000", Env(init, "APPMESH_ENVOY_INGRESS_PORT"));
        Assert.Equal("15001", Env(init, "APPMESH_ENVOY_EGRESS_PORT"));
        Assert.Equal("1337", Env(init, "APPMESH_IGNORE_UID"));
        Assert.Equal("3306", Env(init, "APPMESH_EGRESS_IGNORED_PORTS"));
        Assert.Equal("169.254.169.254,10.0.0.0/8", Env(init, "APPMESH_EGRESS_IGNORED_IP"));
        Assert.Contains("NET_ADMIN", init["securityContext"]!["capabilities"]!["add"]!.AsArray().Select(c => c!.GetValue<string>()));

        var envoy = Container(patched, "containers", "envoy");
        Assert.Equal(1337, envoy["securityContext"]!["runAsUser"]!.GetValue<int>());
        Assert.Equal("/ready", envoy["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.Equal(9901, envoy["readinessProbe"]!["httpGet"]!["port"]!.GetValue<int>());
        Assert.Equal("50m", envoy["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("32Mi", envoy["resources"]!["requests"]!["memory"]!.GetValue<string>());
        Assert.Equal("mesh/shop/virtualNode/cart", Env(envoy, "APPMESH_RESOURCE_ARN"));
        Assert.Equal("AWS_ACCESS_KEY_ID", envoy["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "AWS_ACCESS_KEY_ID")!
            ["valueFrom"]!["secretKeyRef"]!["key"]!.GetValue<string>());
        Assert.Equal("/etc/mesh/xds-ca", envoy["volumeMounts"]![0]!["mountPath"]!.GetValue<string>());
        Assert.Equal("mesh-xds-ca", patched["spec"]!["volumes"]![0]!["secret"]!["secretName"]!.GetValue<string>());
        Assert.Equal("app", patched["spec"]!["containers"]![0]!["name"]!.GetValue<string>()); // the application is untouched
    }

    [Fact]
    public async Task TheSidecarsBootstrap_IsTheBootstrapGeneratorsForThatNode_SignedWithSigV4OverTls()
    {
        var outcome = await _server.ReviewAsync(Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart")));

        var envoy = Container(JsonPatch.Apply(Pod(), outcome.Patch!), "containers", "envoy");
        var args = envoy["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.Equal("--config-yaml", args[0]);
        var expected = EnvoyBootstrap.ToYaml(new BootstrapOptions
        {
            NodeId = "mesh/shop/virtualNode/cart",
            Xds = new HostPort("mesh-xds.mesh-system.svc", 18000),
            Tls = new XdsTlsOptions { CaFile = "/etc/mesh/xds-ca/ca.crt" },
            SigV4 = new SigV4Options { Region = "eu-west-1" },
        });
        Assert.Equal(expected, args[1]);
        Assert.Contains("envoy.grpc_credentials.aws_iam", args[1]);
    }

    [Fact]
    public async Task TheInjectorsSdsSocketAdminAndLogLevelSettings_ReachTheSidecar()
    {
        // App Mesh's controller: --enable-sds with --sds-uds-path, ENVOY_ADMIN_ACCESS_ENABLE_IPV6, --envoy-log-level.
        await using var server = await WebhookServer.StartAsync(
            ("Webhook:SdsSocketPath", "/run/spire/sockets/agent.sock"), ("Webhook:AdminIpv6", "true"), ("Webhook:EnvoyLogLevel", "debug"));
        var pod = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"));

        var outcome = await server.ReviewAsync(pod);

        var patched = JsonPatch.Apply(pod, outcome.Patch!);
        var envoy = Container(patched, "containers", "envoy");
        var args = envoy["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.Equal(["--log-level", "debug"], args[2..]);
        var expected = EnvoyBootstrap.ToYaml(new BootstrapOptions
        {
            NodeId = "mesh/shop/virtualNode/cart",
            Xds = new HostPort("mesh-xds.mesh-system.svc", 18000),
            Tls = new XdsTlsOptions { CaFile = "/etc/mesh/xds-ca/ca.crt" },
            SigV4 = new SigV4Options { Region = "eu-west-1" },
            AdminAddress = "::",
            SdsSocketPath = "/run/spire/sockets/agent.sock",
        });
        Assert.Equal(expected, args[1]);
        Assert.Contains("static_cluster_sds_unix_socket", args[1]);
        var mount = Assert.Single(envoy["volumeMounts"]!.AsArray(), m => m!["name"]!.GetValue<string>() == "mesh-sds-socket")!;
        Assert.Equal("/run/spire/sockets", mount["mountPath"]!.GetValue<string>());
        var volume = Assert.Single(patched["spec"]!["volumes"]!.AsArray(), v => v!["name"]!.GetValue<string>() == "mesh-sds-socket")!;
        Assert.Equal("/run/spire/sockets", volume["hostPath"]!["path"]!.GetValue<string>());
        var validation = await KubernetesSchema.ValidateAsync(patched.ToJsonString());
        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.Contains("1 objects, 0 invalid", validation.Output);
    }

    [Fact]
    public async Task APodWithInitContainersAndVolumes_GetsItemsAppended()
    {
        var pod = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"));
        pod["spec"]!["initContainers"] = new JsonArray(new JsonObject { ["name"] = "migrate", ["image"] = "shop/migrate:1" });
        pod["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "cache", ["emptyDir"] = new JsonObject() });

        var outcome = await _server.ReviewAsync(pod);

        Assert.Equal(["/spec/initContainers/-", "/spec/containers/-", "/spec/volumes/-"], Paths(outcome));
        var patched = JsonPatch.Apply(pod, outcome.Patch!);
        Assert.Equal(["migrate", "proxyinit"], Names(patched["spec"]!["initContainers"]!));
        Assert.Equal(["cache", "mesh-xds-ca"], Names(patched["spec"]!["volumes"]!));
    }

    [Fact]
    public async Task WithoutAPortsAnnotation_TheContainersTcpPortsAreRedirected()
    {
        var pod = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"));
        pod["spec"]!["containers"]![0]!["ports"] = new JsonArray(
            new JsonObject { ["containerPort"] = 9080 },
            new JsonObject { ["containerPort"] = 8080, ["protocol"] = "TCP" },
            new JsonObject { ["containerPort"] = 5353, ["protocol"] = "UDP" });

        var outcome = await _server.ReviewAsync(pod);

        Assert.Equal("8080,9080", Env(Container(JsonPatch.Apply(pod, outcome.Patch!), "initContainers", "proxyinit"), "APPMESH_APP_PORTS"));
    }

    [Fact]
    public async Task AVirtualGatewayPod_GetsEnvoyWithoutRedirection()
    {
        var outcome = await _server.ReviewAsync(Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualGateway", "edge")));

        Assert.Equal(["/spec/containers/-", "/spec/volumes"], Paths(outcome));
        Assert.Equal("mesh/shop/virtualGateway/edge", Env(Container(JsonPatch.Apply(Pod(), outcome.Patch!), "containers", "envoy"), "APPMESH_RESOURCE_ARN"));
    }

    [Theory]
    [InlineData("opted out", "appmesh.k8s.aws/sidecarInjectorWebhook", "disabled")]
    [InlineData("not in a mesh", "app.kubernetes.io/name", "cart")]
    public async Task APodThatOptsOutOrNamesNoProxy_IsAdmittedUnchanged(string why, string annotation, string value)
    {
        var pod = why == "opted out"
            ? Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), (annotation, value))
            : Pod((annotation, value));

        var outcome = await _server.ReviewAsync(pod);

        Assert.True(outcome.Allowed);
        Assert.Null(outcome.Patch);
    }

    [Fact]
    public async Task APodThatAlreadyHasItsProxy_IsAdmittedUnchanged()
    {
        var pod = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"));
        var first = await _server.ReviewAsync(pod);

        var second = await _server.ReviewAsync(JsonPatch.Apply(pod, first.Patch!));

        Assert.True(second.Allowed);
        Assert.Null(second.Patch);
    }

    [Theory]
    [InlineData("appmesh.k8s.aws/ports", "8080,http", "appmesh.k8s.aws/ports: 'http' is not a port (1-65535)")]
    [InlineData("appmesh.k8s.aws/egressIgnoredPorts", "0", "appmesh.k8s.aws/egressIgnoredPorts: '0' is not a port (1-65535)")]
    [InlineData("appmesh.k8s.aws/egressIgnoredIPs", "10.0.0.0/8,metadata", "appmesh.k8s.aws/egressIgnoredIPs: 'metadata' is not an IP address or CIDR")]
    [InlineData("appmesh.k8s.aws/cpuRequests", "lots", "appmesh.k8s.aws/cpuRequests: 'lots' is not a Kubernetes quantity (e.g. 10m, 0.5, 32Mi)")]
    [InlineData("appmesh.k8s.aws/memoryRequests", "32 MB", "appmesh.k8s.aws/memoryRequests: '32 MB' is not a Kubernetes quantity (e.g. 10m, 0.5, 32Mi)")]
    [InlineData("appmesh.k8s.aws/virtualGateway", "edge", "appmesh.k8s.aws/virtualNode and appmesh.k8s.aws/virtualGateway: a pod is one or the other, not both")]
    public async Task AnInvalidAnnotation_IsRefusedWithAMessageNamingIt(string annotation, string value, string message)
    {
        var outcome = await _server.ReviewAsync(Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), (annotation, value)));

        Assert.False(outcome.Allowed);
        Assert.Null(outcome.Patch);
        Assert.Equal($"sidecar injection: {message}", outcome.Message);
    }

    [Fact]
    public async Task AProxylessPod_IsRefused_WhileProxiesMustAuthenticate()
    {
        // gRPC can neither sign nor present a certificate to the xDS server (ProxylessInjectionTests has AuthMode None).
        var outcome = await _server.ReviewAsync(Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), ("mesh-proxy/proxyless", "true")));

        Assert.False(outcome.Allowed);
        Assert.Contains("mesh-proxy/proxyless: gRPC applications can neither sign their xDS calls nor present a certificate to the xDS server, and this webhook's Webhook:AuthMode is SigV4", outcome.Message);
    }

    [Fact]
    public async Task EveryProblem_IsNamedAtOnce()
    {
        var outcome = await _server.ReviewAsync(Pod(("appmesh.k8s.aws/virtualNode", "cart"), ("appmesh.k8s.aws/ports", "x")));

        Assert.False(outcome.Allowed);
        Assert.Contains("appmesh.k8s.aws/mesh: required", outcome.Message);
        Assert.Contains("appmesh.k8s.aws/ports: 'x' is not a port", outcome.Message);
    }

    [Fact]
    public async Task PatchedPods_ValidateAgainstTheKubernetesSchema()
    {
        var node = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"));
        var gateway = Pod(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualGateway", "edge"));
        var documents = new List<string>();
        foreach (var pod in new[] { node, gateway })
        {
            var outcome = await _server.ReviewAsync(pod);
            documents.Add(JsonPatch.Apply(pod, outcome.Patch!).ToJsonString()); // JSON is YAML
        }

        var validation = await KubernetesSchema.ValidateAsync(string.Join("\n---\n", documents));

        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.Contains("2 objects, 0 invalid", validation.Output);
    }

    private static JsonObject Pod(params (string Name, string Value)[] annotations) => AdmissionPods.Annotated(annotations);

    private static string[] Paths(AdmissionOutcome outcome) =>
        [.. outcome.Patch!.Select(o => o!["path"]!.GetValue<string>())];

    private static string[] Names(JsonNode list) => [.. list.AsArray().Select(i => i!["name"]!.GetValue<string>())];

    private static JsonObject Container(JsonObject pod, string list, string name) =>
        pod["spec"]![list]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!.AsObject();

    private static string Env(JsonObject container, string name) =>
        container["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == name)!["value"]!.GetValue<string>();
}
