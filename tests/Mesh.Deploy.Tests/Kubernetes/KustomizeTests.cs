using System.Text.RegularExpressions;
using Mesh.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Mesh.Deploy.Tests.Kubernetes;

/// <summary>
/// deploy/kubernetes, as docs/kubernetes.md has a user do it: make-secrets.sh writes an overlay's secret files, the
/// machine's kubectl renders the overlay offline, and every rendered object must pass the Kubernetes schema.
/// </summary>
public sealed class KustomizeTests : IDisposable
{
    private const string ProductionConnectionString = "Host=db.example.com;Port=5432;Database=mesh;Username=mesh;Password=example";

    // A copy of deploy/kubernetes, so the secret files written for the test never land in the working tree.
    private readonly string _copy = Directory.CreateTempSubdirectory("mesh-k8s-").FullName;

    public KustomizeTests() => CopyDirectory(Repository.PathOf("deploy/kubernetes"), _copy);

    public void Dispose() => Directory.Delete(_copy, recursive: true);

    public static TheoryData<string> Overlays => new() { "production", "try-it" };

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_Renders_AndEveryObjectValidatesAgainstTheKubernetesSchema(string overlay)
    {
        var rendered = await RenderAsync(overlay);

        var validation = await KubernetesSchema.ValidateAsync(rendered);

        Assert.True(validation.ExitCode == 0, validation.Output);
        Assert.Contains("0 invalid", validation.Output);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_HasTheControlPlaneShapeTheIssueAsksFor(string overlay)
    {
        var objects = Parse(await RenderAsync(overlay));

        foreach (var name in new[] { "mesh-api", "mesh-xds" })
        {
            var deployment = Single(objects, "Deployment", name);
            Assert.True(int.Parse(Scalar(deployment, "spec", "replicas")) >= 2, $"{name} runs fewer than two replicas");
            var pod = Node(deployment, "spec", "template");
            Assert.Equal("true", Scalar(pod, "metadata", "annotations", "prometheus.io/scrape"));
            Assert.Equal("true", Scalar(pod, "spec", "securityContext", "runAsNonRoot"));
            var container = (YamlMappingNode)((YamlSequenceNode)Node(pod, "spec", "containers")).Children[0];
            Assert.Equal("/readyz", Scalar(container, "readinessProbe", "httpGet", "path"));
            Assert.NotNull(Scalar(container, "resources", "requests", "cpu"));
            Assert.Equal("false", Scalar(container, "securityContext", "allowPrivilegeEscalation"));
            Single(objects, "PodDisruptionBudget", name);
            Single(objects, "Service", name);
        }

        // Two API replicas, console sessions in each one's memory: a browser must stay on the replica it signed in on.
        var api = Single(objects, "Service", "mesh-api");
        Assert.Equal("ClientIP", Scalar(api, "spec", "sessionAffinity"));
        Assert.True(int.Parse(Scalar(api, "spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds")) >= 8 * 3600,
            "the API's client affinity ends before a console session (8 h) does");

        // The console reads every xDS replica's proxy status through a headless Service naming each pod's address.
        var admin = Single(objects, "Service", "mesh-xds-admin");
        Assert.Equal("None", Scalar(admin, "spec", "clusterIP"));
        // Pods listed before they are ready: a replica starting or stopping is named unreachable, not silently left out.
        Assert.Equal("true", Scalar(admin, "spec", "publishNotReadyAddresses"));
        Assert.Equal("xds", Scalar(admin, "spec", "selector", "app.kubernetes.io/component"));
        var adminPort = (YamlMappingNode)((YamlSequenceNode)Node(admin, "spec", "ports")).Children.Single();
        Assert.Equal(("18001", "admin"), (Scalar(adminPort, "port"), Scalar(adminPort, "targetPort")));
        Assert.Equal("dns+http://mesh-xds-admin.mesh-system.svc:18001", Scalar(Single(objects, "ConfigMap", "mesh-config"), "data", "Mesh__Console__ProxyStatusUrls__0"));
        var xdsContainers = (YamlSequenceNode)Node(Single(objects, "Deployment", "mesh-xds"), "spec", "template", "spec", "containers");
        Assert.Contains(((YamlMappingNode)xdsContainers.Children[0])["ports"].AllNodes.OfType<YamlMappingNode>(),
            port => port.Children.TryGetValue(new YamlScalarNode("name"), out var name) && name.ToString() == "admin");

        var webhook = Single(objects, "Deployment", "mesh-webhook");
        Assert.True(int.Parse(Scalar(webhook, "spec", "replicas")) >= 2, "the webhook runs fewer than two replicas");
        Assert.Equal("true", Scalar(webhook, "spec", "template", "spec", "securityContext", "runAsNonRoot"));
        Single(objects, "PodDisruptionBudget", "mesh-webhook");
        Single(objects, "Service", "mesh-webhook");
        var injector = (YamlMappingNode)((YamlSequenceNode)Node(Single(objects, "MutatingWebhookConfiguration", "mesh-sidecar-injector"), "webhooks")).Children[0];
        Assert.Equal("enabled", Scalar(injector, "namespaceSelector", "matchLabels", "appmesh.k8s.aws/sidecarInjectorWebhook"));
        Assert.Equal("mesh-webhook", Scalar(injector, "clientConfig", "service", "name"));
        // As docs/kubernetes.md and src/Webhook have it: pods wait rather than start outside the mesh; no side effects,
        // so dry runs are sent too; pod creation only (other operations are admitted unchanged); and the webhook's own
        // namespace is never selected, so a webhook that is down cannot keep its own pods from starting again.
        Assert.Equal("Fail", Scalar(injector, "failurePolicy"));
        Assert.Equal("None", Scalar(injector, "sideEffects"));
        var rule = (YamlMappingNode)((YamlSequenceNode)Node(injector, "rules")).Children.Single();
        Assert.Equal(["CREATE"], ((YamlSequenceNode)Node(rule, "operations")).Children.Select(o => ((YamlScalarNode)o).Value));
        Assert.Equal(["pods"], ((YamlSequenceNode)Node(rule, "resources")).Children.Select(o => ((YamlScalarNode)o).Value));
        var selected = (YamlMappingNode)Node(injector, "namespaceSelector", "matchLabels");
        var ownLabels = (YamlMappingNode)Node(Single(objects, "Namespace", "mesh-system"), "metadata", "labels");
        Assert.DoesNotContain(selected.Children, label => ownLabels.Children.TryGetValue(label.Key, out var own) && own.ToString() == label.Value.ToString());
        var webhookCa = await File.ReadAllBytesAsync(Path.Combine(_copy, "overlays", overlay, "secrets", "webhook-ca.crt"));
        Assert.Equal(Convert.ToBase64String(webhookCa), Scalar(injector, "clientConfig", "caBundle"));

        Single(objects, "Job", "mesh-migrate");
        foreach (var secret in new[] { "mesh-database", "mesh-master-key", "mesh-xds-tls", "mesh-webhook-tls" })
        {
            // Generated with a content hash suffix, so pods roll when a secret changes; references are rewritten to it.
            Assert.Single(objects, o => Kind(o) == "Secret" && Name(o).StartsWith(secret + "-", StringComparison.Ordinal));
        }

        Assert.Equal(overlay == "try-it", objects.Any(o => Kind(o) == "StatefulSet" && Name(o) == "mesh-postgres"));
        Assert.All(objects.Where(o => Kind(o) is not ("Namespace" or "MutatingWebhookConfiguration")),
            o => Assert.Equal("mesh-system", Scalar(o, "metadata", "namespace")));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_RunsTheImagesItsKustomizationNames(string overlay)
    {
        // What docs/kubernetes.md has a user do: point the overlay's images: at their own registry and tag.
        var kustomization = Path.Combine(_copy, "overlays", overlay, "kustomization.yaml");
        var text = await File.ReadAllTextAsync(kustomization);
        text = Regex.Replace(text.Replace("registry.example.com/mesh/", "registry.test/team/"), "newTag: .*", "newTag: \"2.3.4\"");
        await File.WriteAllTextAsync(kustomization, text);

        var objects = Parse(await RenderAsync(overlay));

        Assert.Equal("registry.test/team/api:2.3.4", Image(Single(objects, "Deployment", "mesh-api")));
        Assert.Equal("registry.test/team/xds:2.3.4", Image(Single(objects, "Deployment", "mesh-xds")));
        Assert.Equal("registry.test/team/webhook:2.3.4", Image(Single(objects, "Deployment", "mesh-webhook")));
        Assert.Equal("registry.test/team/migrate:2.3.4", Image(Single(objects, "Job", "mesh-migrate")));
    }

    [Fact]
    public async Task MakeSecrets_KeepsTheMasterKeyAndCertificate_WhenRunAgain()
    {
        var overlay = Path.Combine(_copy, "overlays", "production");
        await MakeSecretsAsync("production");
        var key = await File.ReadAllTextAsync(Path.Combine(overlay, "secrets", "master.key"));
        var certificate = await File.ReadAllTextAsync(Path.Combine(overlay, "secrets", "xds-tls.crt"));

        await MakeSecretsAsync("production");

        Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(overlay, "secrets", "master.key")));
        Assert.Equal(certificate, await File.ReadAllTextAsync(Path.Combine(overlay, "secrets", "xds-tls.crt")));
        Assert.Equal(32, Convert.FromBase64String(key).Length);
    }

    [Fact]
    public async Task TheSchemaCheck_RejectsAnObjectKubernetesWouldRefuse()
    {
        const string probeWithoutPort = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: broken}
            spec:
              selector: {matchLabels: {a: b}}
              template:
                metadata: {labels: {a: b}}
                spec:
                  containers: [{name: c, image: i, readinessProbe: {httpGet: {path: /readyz}}}]
            """;

        var validation = await KubernetesSchema.ValidateAsync(probeWithoutPort);

        Assert.Equal(1, validation.ExitCode);
        Assert.Contains("readinessProbe/httpGet must have required property port", validation.Output);
    }

    private async Task<string> RenderAsync(string overlay)
    {
        await MakeSecretsAsync(overlay);
        return await Command.RunCheckedAsync("kubectl", ["kustomize", Path.Combine(_copy, "overlays", overlay)]);
    }

    private Task<string> MakeSecretsAsync(string overlay)
    {
        var script = Path.Combine(_copy, "make-secrets.sh");
        var folder = Path.Combine(_copy, "overlays", overlay);
        return overlay == "try-it"
            ? Command.RunCheckedAsync(script, ["--try-it", folder])
            : Command.RunCheckedAsync(script, [folder, ProductionConnectionString]);
    }

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static YamlMappingNode Single(List<YamlMappingNode> objects, string kind, string name) =>
        Assert.Single(objects, o => Kind(o) == kind && Name(o) == name);

    private static string Image(YamlMappingNode workload) =>
        Scalar(((YamlSequenceNode)Node(workload, "spec", "template", "spec", "containers")).Children.Single(), "image");

    private static string Kind(YamlMappingNode o) => Scalar(o, "kind");

    private static string Name(YamlMappingNode o) => Scalar(o, "metadata", "name");

    private static YamlNode Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        }

        return node;
    }

    private static string Scalar(YamlNode node, params string[] path) => ((YamlScalarNode)Node(node, path)).Value!;

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Contains("secrets"))
            {
                continue; // a user's own secret files in the working tree are not the test's
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
