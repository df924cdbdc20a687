using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Mesh.Deploy.Tests.Support;
using Mesh.Webhook.Tests.Support;

namespace Mesh.Webhook.Tests;

/// <summary>
/// Pods and AdmissionReviews off the common path: each gets an AdmissionReview answer (with the request's uid) or a
/// 4xx, never a 5xx, and every patch applies to the pod as sent and leaves a pod the API server would accept.
/// </summary>
public sealed class UnusualAdmissionTests : IAsyncLifetime
{
    private WebhookServer _server = null!;

    public async Task InitializeAsync() => _server = await WebhookServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task OddButValidPods_AreInjected_AndThePatchedPodsAreValid()
    {
        var generated = Node();
        generated["metadata"]!.AsObject().Remove("name");
        generated["metadata"]!["generateName"] = "cart-7d9f-";
        var odd = Node(("description", "Éléphant 象 🐘 " + new string('x', 200_000)));
        var gateway = AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualGateway", "edge"));
        gateway["spec"]!["hostNetwork"] = true;
        var documents = new List<string>();
        foreach (var pod in new[] { generated, odd, gateway })
        {
            var outcome = await _server.ReviewAsync(pod);

            Assert.True(outcome.Allowed, outcome.Message);
            var patched = JsonPatch.Apply(pod, outcome.Patch!);
            AssertNamesAreUnique(patched);
            documents.Add(patched.ToJsonString());
        }

        var validation = await KubernetesSchema.ValidateAsync(string.Join("\n---\n", documents));
        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.Contains("3 objects, 0 invalid", validation.Output);
    }

    [Fact]
    public async Task APodWithoutContainerPorts_RedirectsNoInboundPort()
    {
        var pod = Node();

        var outcome = await _server.ReviewAsync(pod);

        var init = JsonPatch.Apply(pod, outcome.Patch!)["spec"]!["initContainers"]!.AsArray().Single()!;
        Assert.Equal("", init["env"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "APPMESH_APP_PORTS")!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task ADryRun_GetsTheSamePatch()
    {
        var pod = Node();

        var real = await _server.ReviewAsync(pod);
        var dryRun = await _server.ReviewAsync(pod, amend: request => request["dryRun"] = true);

        Assert.True(dryRun.Allowed);
        Assert.Equal(real.Patch!.ToJsonString(), dryRun.Patch!.ToJsonString());
    }

    [Theory]
    [InlineData("UPDATE")]
    [InlineData("DELETE")]
    [InlineData("CONNECT")]
    public async Task AnOperationOtherThanCreate_IsAdmittedUnchanged(string operation)
    {
        // A running pod's containers cannot change: a patch on UPDATE would have the API server refuse the update.
        var outcome = await _server.ReviewAsync(Node(), amend: request =>
        {
            request["operation"] = operation;
            request["oldObject"] = Node();
            if (operation == "DELETE")
            {
                request["object"] = null;
            }
        });

        Assert.True(outcome.Allowed);
        Assert.Null(outcome.Patch);
    }

    [Fact]
    public async Task APodSubresource_IsAdmittedUnchanged()
    {
        var outcome = await _server.ReviewAsync(Node(), amend: request => request["subResource"] = "ephemeralcontainers");

        Assert.True(outcome.Allowed);
        Assert.Null(outcome.Patch);
    }

    [Theory]
    [InlineData("no object")]
    [InlineData("another kind")]
    public async Task AReviewWithoutAPod_IsAdmittedUnchanged(string what)
    {
        var outcome = await _server.ReviewAsync(Node(), amend: request =>
        {
            if (what == "no object")
            {
                request.Remove("object");
            }
            else
            {
                request["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "ConfigMap" };
            }
        });

        Assert.True(outcome.Allowed);
        Assert.Null(outcome.Patch);
    }

    [Fact]
    public async Task AVirtualNodePodOnTheHostNetwork_IsRefused()
    {
        // proxyinit's iptables rules would be written into the node's own network namespace.
        var pod = Node();
        pod["spec"]!["hostNetwork"] = true;

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Null(outcome.Patch);
        Assert.Equal(
            "sidecar injection: spec.hostNetwork: a virtual node's pod gets proxyinit, whose traffic redirection would apply to the node's own network; run it in the pod network, or opt it out with appmesh.k8s.aws/sidecarInjectorWebhook: disabled",
            outcome.Message);
    }

    [Fact]
    public async Task APodWithoutContainers_IsRefused()
    {
        // As the API server sends it ("containers": null): the patch's list would be Envoy alone, and a pod the
        // API server would have refused as empty would start with a proxy and nothing to proxy.
        var pod = Node();
        pod["spec"]!["containers"] = null;

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Equal("sidecar injection: spec.containers: the pod has none, and the injected Envoy would be its only container", outcome.Message);
    }

    [Theory]
    [InlineData("initContainers", "envoy", "spec.initContainers: the pod already has a container named 'envoy', the name of the injected container")]
    [InlineData("containers", "proxyinit", "spec.containers: the pod already has a container named 'proxyinit', the name of the injected container")]
    [InlineData("volumes", "mesh-xds-ca", "spec.volumes: the pod already has a volume named 'mesh-xds-ca', the name of an injected volume")]
    public async Task APodWithAnItemOfAnInjectedName_IsRefusedNamingIt(string list, string name, string message)
    {
        // Added alongside, it would be a duplicate name, and the API server would refuse the pod with a message that
        // does not say the webhook put it there.
        var pod = Node();
        var item = list == "volumes"
            ? new JsonObject { ["name"] = name, ["emptyDir"] = new JsonObject() }
            : new JsonObject { ["name"] = name, ["image"] = "shop/tool:1" };
        if (pod["spec"]![list] is JsonArray items)
        {
            items.Add(item);
        }
        else
        {
            pod["spec"]![list] = new JsonArray(item);
        }

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Null(outcome.Patch);
        Assert.Equal($"sidecar injection: {message}", outcome.Message);
    }

    [Theory]
    [InlineData(9901, "admin")]
    [InlineData(15000, "inbound")]
    [InlineData(15001, "outbound")]
    public async Task AnApplicationPortOfEnvoys_IsRefusedNamingIt(int port, string role)
    {
        // The containers share the pod's network: Envoy or the application would fail to bind, and inbound traffic
        // redirected to Envoy's inbound port would loop.
        var pod = Node();
        pod["spec"]!["containers"]![0]!["ports"] = new JsonArray(
            new JsonObject { ["containerPort"] = 8080 },
            new JsonObject { ["containerPort"] = port, ["protocol"] = "TCP" });

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Null(outcome.Patch);
        Assert.Equal($"sidecar injection: spec.containers[0].ports[1].containerPort: {port} is the injected Envoy's {role} port; the pod's containers share one network, so the application cannot listen on it too", outcome.Message);

        var annotated = await _server.ReviewAsync(Node(("appmesh.k8s.aws/ports", $"8080,{port}")));

        Assert.False(annotated.Allowed);
        Assert.Equal($"sidecar injection: appmesh.k8s.aws/ports: {port} is the injected Envoy's {role} port, not an application port", annotated.Message);
    }

    [Fact]
    public async Task AGatewaysApplicationPortMayBeEnvoysInboundPort_ButNotItsAdminPort()
    {
        // A gateway's Envoy listens on its listeners' ports and its admin port; nothing is redirected.
        var gateway = AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualGateway", "ingress"));
        gateway["spec"]!["containers"]![0]!["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 15000 });

        Assert.True((await _server.ReviewAsync(gateway)).Allowed);

        gateway["spec"]!["containers"]![0]!["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 9901 });
        var outcome = await _server.ReviewAsync(gateway);

        Assert.False(outcome.Allowed);
        Assert.Equal("sidecar injection: spec.containers[0].ports[0].containerPort: 9901 is the injected Envoy's admin port; the pod's containers share one network, so the application cannot listen on it too", outcome.Message);
    }

    [Theory]
    [InlineData("appmesh.k8s.aws/mesh", "shop/eu", "cart")]
    [InlineData("appmesh.k8s.aws/virtualNode", "shop", "cart/v2")]
    [InlineData("appmesh.k8s.aws/virtualNode", "shop", "cart\nv2")]
    public async Task AnnotationsThatNameNoProxy_AreRefusedNamingThem(string why, string mesh, string node)
    {
        var outcome = await _server.ReviewAsync(AdmissionPods.Annotated(("appmesh.k8s.aws/mesh", mesh), ("appmesh.k8s.aws/virtualNode", node)));

        Assert.False(outcome.Allowed, why);
        Assert.StartsWith($"sidecar injection: appmesh.k8s.aws/virtualNode / appmesh.k8s.aws/mesh: '{mesh}' / '{node}' do not make a proxy identity (", outcome.Message);
    }

    [Theory]
    [InlineData("not json", "{\"request\":", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("empty", "", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("not a review", "[1, 2]", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("null", "null", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("no request", "{}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("no uid", """{"request":{"kind":{"kind":"Pod"},"object":{}}}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("uid not a string", """{"request":{"uid":7,"kind":{"kind":"Pod"},"object":{}}}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("kind not an object", """{"request":{"uid":"u","kind":"Pod","object":{}}}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("wrong content type", "{}", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task AMalformedReview_GetsA4xx(string why, string body, string contentType, HttpStatusCode status)
    {
        using var answer = await _server.Client.PostAsync("/mutate", new StringContent(body, Encoding.UTF8, contentType));

        Assert.True(status == answer.StatusCode, $"{why}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("", "metadata", "[1]", "metadata is not an object")]
    [InlineData("metadata", "annotations", """["appmesh.k8s.aws/virtualNode"]""", "metadata.annotations is not an object")]
    [InlineData("metadata", "annotations", """{"appmesh.k8s.aws/virtualNode":7}""", "metadata.annotations.appmesh.k8s.aws/virtualNode is not a string")]
    [InlineData("spec", "containers", """{"name":"app"}""", "spec.containers is not a list")]
    [InlineData("spec", "volumes", """["cache"]""", "spec.volumes[0] is not an object")]
    [InlineData("spec", "containers", """[{"name":"app","image":"a","ports":[{"containerPort":"http"}]}]""", "spec.containers[0].ports[0].containerPort is not a whole number")]
    [InlineData("spec", "containers", """[{"name":"app","image":"a","ports":[{"name":"http"}]}]""", "spec.containers[0].ports[0].containerPort is not a whole number")]
    [InlineData("spec", "initContainers", """[{"name":"init","env":{"A":"1"}}]""", "spec.initContainers[0].env is not a list")]
    public async Task APodOfTheWrongShape_IsRefusedNamingWhere(string section, string field, string json, string problem)
    {
        var pod = Node();
        var parent = section == "" ? pod : pod[section]!;
        parent[field] = JsonNode.Parse(json);

        var outcome = await _server.ReviewAsync(pod);

        Assert.False(outcome.Allowed);
        Assert.Equal($"sidecar injection: the pod is not of the shape of a v1 Pod: {problem}", outcome.Message);
    }

    [Fact]
    public async Task AnOversizedReview_GetsA413()
    {
        var body = $"{{\"request\":{{\"uid\":\"u\",\"object\":{{\"metadata\":{{\"annotations\":{{\"big\":\"{new string('x', 40 * 1024 * 1024)}\"}}}}}}}}}}";

        // As the API server would if it ever sent one: 100-continue lets the webhook answer before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mutate") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var answer = await _server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
    }

    private static JsonObject Node(params (string Name, string Value)[] more) =>
        AdmissionPods.Annotated([("appmesh.k8s.aws/mesh", "shop"), ("appmesh.k8s.aws/virtualNode", "cart"), .. more]);

    /// <summary>What the schema check does not see: names unique across a pod's containers, and across its volumes.</summary>
    private static void AssertNamesAreUnique(JsonObject pod)
    {
        var spec = pod["spec"]!;
        string[] Names(string list) => [.. (spec[list] as JsonArray ?? []).Select(i => i!["name"]!.GetValue<string>())];
        var containers = Names("initContainers").Concat(Names("containers")).ToList();
        Assert.Equal(containers.Distinct(), containers);
        Assert.Equal(Names("volumes").Distinct(), Names("volumes"));
    }
}
