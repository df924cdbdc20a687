using System.Text.Json.Nodes;
using Mesh.Bootstrap;
using Mesh.Deploy.Tests.Support;
using Mesh.Webhook.Tests.Support;

namespace Mesh.Webhook.Tests;

/// <summary>
/// <c>mesh-proxy/proxyless: true</c>: a virtual node's proxyless gRPC applications get their xDS bootstrap in
/// <c>GRPC_XDS_BOOTSTRAP_CONFIG</c>, and no Envoy or redirection. gRPC reaches the xDS server only in plaintext, so
/// this webhook runs with <c>Webhook:AuthMode=None</c> here; <see cref="AdmissionTests"/> has the refusals under SigV4.
/// </summary>
public sealed class ProxylessInjectionTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync(("Webhook:AuthMode", "None"));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_Application_Container_Gets_The_Nodes_Bootstrap_Unless_It_Names_Its_Own()
    {
        var pod = Pod();
        var containers = pod["spec"]!["containers"]!.AsArray();
        containers.Add(new JsonObject { ["name"] = "worker", ["image"] = "shop/worker:1", ["env"] = new JsonArray(new JsonObject { ["name"] = "LOG", ["value"] = "debug" }) });
        containers.Add(new JsonObject { ["name"] = "own", ["image"] = "shop/own:1", ["env"] = new JsonArray(new JsonObject { ["name"] = "GRPC_XDS_BOOTSTRAP", ["value"] = "/etc/own.json" }) });

        var outcome = await _server.ReviewAsync(pod);

        Assert.True(outcome.Allowed);
        Assert.Equal(["/spec/containers/0/env", "/spec/containers/1/env/-"], outcome.Patch!.Select(o => o!["path"]!.GetValue<string>()));
        Assert.Equal([Mesh.Webhook.Admission.AdmissionHandler.ProxylessWarning], outcome.Warnings);
        var patched = JsonPatch.Apply(pod, outcome.Patch!);
        var expected = GrpcBootstrap.ToJson(new BootstrapOptions { NodeId = "mesh/shop/virtualNode/cart", Xds = new HostPort("mesh-xds.mesh-system.svc", 18000) });
        Assert.Equal(expected, Env(patched, "app", "GRPC_XDS_BOOTSTRAP_CONFIG"));
        Assert.Equal(expected, Env(patched, "worker", "GRPC_XDS_BOOTSTRAP_CONFIG"));
        Assert.Equal("debug", Env(patched, "worker", "LOG"));
        Assert.Null(Env(patched, "own", "GRPC_XDS_BOOTSTRAP_CONFIG"));
        Assert.Equal(["app", "worker", "own"], patched["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Null(patched["spec"]!["initContainers"]);
        Assert.Null(patched["spec"]!["volumes"]);

        // Admitted again (the API server may call twice), it is left as it is.
        var again = await _server.ReviewAsync(patched);
        Assert.True(again.Allowed);
        Assert.Null(again.Patch);

        var validation = await KubernetesSchema.ValidateAsync(patched.ToJsonString());
        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.Contains("1 objects, 0 invalid", validation.Output);
    }

    [Theory]
    [InlineData("appmesh.k8s.aws/virtualGateway", "mesh-proxy/proxyless: a virtual gateway is an Envoy; only a virtual node's applications can be proxyless")]
    [InlineData("mesh-proxy/proxyless", "mesh-proxy/proxyless: 'yes' is neither true nor false")]
    public async Task What_Cannot_Be_Proxyless_Is_Refused_Naming_The_Annotation(string annotation, string message)
    {
        var pod = annotation == "mesh-proxy/proxyless"
            ? AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), ("mesh-proxy/proxyless", "yes"))
            : AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), (annotation, "edge"), ("mesh-proxy/proxyless", "true"));

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Equal($"sidecar injection: {message}", outcome.Message);
    }

    [Fact]
    public async Task A_Gateway_Pod_Marked_Proxyless_Is_Refused_Even_When_Its_Containers_Have_Bootstraps()
    {
        var pod = AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualGateway", "edge"), ("mesh-proxy/proxyless", "true"));
        pod["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "GRPC_XDS_BOOTSTRAP", ["value"] = "/etc/own.json" });

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Contains("only a virtual node's applications can be proxyless", outcome.Message);
    }

    [Fact]
    public async Task Envoy_Only_Annotations_On_A_Proxyless_Pod_Are_Not_Read_But_Named_In_A_Warning()
    {
        // Values an Envoy pod would be refused for: here they configure nothing, so they refuse nothing.
        var pod = AdmissionPods.Annotated(
            ("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), ("mesh-proxy/proxyless", "true"),
            ("appmesh.k8s.aws/ports", "http"), ("appmesh.k8s.aws/cpuRequests", "lots"), ("appmesh.k8s.aws/egressIgnoredIPs", "10.0.0.0/8"));

        var outcome = await _server.ReviewAsync(pod);

        Assert.True(outcome.Allowed, outcome.Message);
        Assert.Equal(
            [
                Mesh.Webhook.Admission.AdmissionHandler.ProxylessWarning,
                "mesh-proxy/proxyless: appmesh.k8s.aws/ports, appmesh.k8s.aws/egressIgnoredIPs, appmesh.k8s.aws/cpuRequests configure the Envoy sidecar or its traffic redirection, which a proxyless pod does not get; they have no effect",
            ],
            outcome.Warnings);
        var patched = JsonPatch.Apply(pod, outcome.Patch!);
        Assert.NotNull(Env(patched, "app", "GRPC_XDS_BOOTSTRAP_CONFIG"));
        Assert.Null(patched["spec"]!["initContainers"]);

        // The same annotations on an Envoy pod are refused, each named.
        pod["metadata"]!["annotations"]!["mesh-proxy/proxyless"] = "false";
        var envoy = await _server.ReviewAsync(pod);
        Assert.False(envoy.Allowed);
        Assert.Contains("appmesh.k8s.aws/ports", envoy.Message);
        Assert.Contains("appmesh.k8s.aws/cpuRequests", envoy.Message);
    }

    private static JsonObject Pod() =>
        AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), ("mesh-proxy/proxyless", "True"));

    private static string? Env(JsonObject pod, string container, string name) =>
        pod["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == container)!["env"]?.AsArray()
            .SingleOrDefault(e => e!["name"]!.GetValue<string>() == name)?["value"]?.GetValue<string>();
}
