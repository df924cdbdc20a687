using Mesh.Model.Identity;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.Bootstrap;
using Mesh.Webhook.Hosting;

namespace Mesh.Webhook.Injection;

/// <summary>Reads a pod's annotations into an <see cref="InjectionDecision"/>, collecting every problem before refusing.</summary>
public static partial class PodReader
{
    public const string EnvoyContainerName = "envoy";
    public const string ProxyInitContainerName = "proxyinit";

    // App Mesh's injector defaults: the instance metadata address is never redirected, and these requests.
    private const string DefaultEgressIgnoredIp = "169.254.169.254";
    private const string DefaultCpuRequest = "10m";
    private const string DefaultMemoryRequest = "32Mi";

    public static InjectionDecision Decide(JsonObject pod, WebhookOptions options)
    {
        if (PodShape.Problem(pod) is { } shape)
        {
            return new InjectionDecision.Refuse([$"the pod is not of the shape of a v1 Pod: {shape}"]);
        }

        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        string? Annotation(string name) => annotations?[name]?.GetValue<string>();

        if (string.Equals(Annotation(Annotations.SidecarInjectorWebhook), "disabled", StringComparison.OrdinalIgnoreCase))
        {
            return new InjectionDecision.Leave($"{Annotations.SidecarInjectorWebhook} is disabled");
        }

        if (HasItem(pod, "containers", EnvoyContainerName) || HasItem(pod, "initContainers", ProxyInitContainerName))
        {
            return new InjectionDecision.Leave("the pod already has a proxy");
        }

        var proxyless = Annotation(Annotations.Proxyless) switch
        {
            null => false,
            var value when string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) => true,
            var value when string.Equals(value, "false", StringComparison.OrdinalIgnoreCase) => false,
            _ => (bool?)null,
        };
        var node = Annotation(Annotations.VirtualNode);
        var gateway = Annotation(Annotations.VirtualGateway);
        if (node is null && gateway is null)
        {
            return new InjectionDecision.Leave($"the pod names neither {Annotations.VirtualNode} nor {Annotations.VirtualGateway}");
        }

        if (proxyless == true && node is not null && gateway is null
            && AppContainers(pod).All(c => HasEnv(c, SidecarBuilder.GrpcBootstrapVariable) || HasEnv(c, SidecarBuilder.GrpcBootstrapFileVariable)))
        {
            return new InjectionDecision.Leave("every application container has its gRPC xDS bootstrap");
        }

        var problems = new List<string>();
        if (node is not null && gateway is not null)
        {
            problems.Add($"{Annotations.VirtualNode} and {Annotations.VirtualGateway}: a pod is one or the other, not both");
        }

        var mesh = Annotation(Annotations.Mesh) ?? options.DefaultMesh;
        if (string.IsNullOrEmpty(mesh))
        {
            problems.Add($"{Annotations.Mesh}: required (the webhook has no Webhook:DefaultMesh)");
        }

        var (kind, name, annotation) = node is not null
            ? ("virtualNode", node, Annotations.VirtualNode)
            : ("virtualGateway", gateway!, Annotations.VirtualGateway);
        NodeId? resource = null;
        if (!string.IsNullOrEmpty(mesh) && !NodeId.TryParse($"mesh/{mesh}/{kind}/{name}", out resource, out var why, subject: "the proxy identity"))
        {
            problems.Add($"{annotation} / {Annotations.Mesh}: '{mesh}' / '{name}' do not make a proxy identity ({why})");
        }

        if (proxyless is null)
        {
            problems.Add($"{Annotations.Proxyless}: '{Annotation(Annotations.Proxyless)}' is neither true nor false");
        }
        else if (proxyless.Value && gateway is not null && node is null)
        {
            problems.Add($"{Annotations.Proxyless}: a virtual gateway is an Envoy; only a virtual node's applications can be proxyless");
        }
        else if (proxyless.Value && options.AuthMode != ProxyAuthMode.None)
        {
            // The gRPC libraries' bootstraps offer insecure channel credentials only (grpc-js; C-core before gRFC A65).
            problems.Add($"{Annotations.Proxyless}: gRPC applications can neither sign their xDS calls nor present a certificate to the xDS server, and this webhook's Webhook:AuthMode is {options.AuthMode}; proxyless pods need AuthMode None, with the xDS server's Xds:Auth:Mode None");
        }

        if (proxyless == true && node is not null && gateway is null)
        {
            // Nothing of Envoy's is injected, so its annotations would do nothing: not read (a value that would be
            // refused for an Envoy refuses nothing here), and each one set is named in an admission warning.
            var ignored = Annotations.EnvoyOnly.Where(a => Annotation(a) is not null).ToList();
            return problems.Count > 0
                ? new InjectionDecision.Refuse(problems)
                : new InjectionDecision.Inject(new SidecarRequest
                {
                    Resource = resource!,
                    ApplicationPorts = [],
                    EgressIgnoredPorts = [],
                    EgressIgnoredIps = [],
                    CpuRequest = DefaultCpuRequest,
                    MemoryRequest = DefaultMemoryRequest,
                    CredentialsSecret = options.CredentialsSecret,
                    Proxyless = true,
                    IgnoredAnnotations = ignored,
                });
        }

        var ports = Annotation(Annotations.Ports) is { } listed
            ? Ports(Annotations.Ports, listed, problems)
            : ContainerPorts(pod);
        var ignoredPorts = Ports(Annotations.EgressIgnoredPorts, Annotation(Annotations.EgressIgnoredPorts) ?? "", problems);
        var ignoredIps = Addresses(Annotation(Annotations.EgressIgnoredIps) ?? DefaultEgressIgnoredIp, problems);
        var cpu = Quantity(Annotations.CpuRequests, Annotation(Annotations.CpuRequests) ?? DefaultCpuRequest, problems);
        var memory = Quantity(Annotations.MemoryRequests, Annotation(Annotations.MemoryRequests) ?? DefaultMemoryRequest, problems);
        var secret = Annotation(Annotations.CredentialsSecret) ?? options.CredentialsSecret;
        if (!DnsSubdomain().IsMatch(secret))
        {
            problems.Add($"{Annotations.CredentialsSecret}: '{secret}' is not a Secret name");
        }

        var redirects = node is not null;
        if (redirects && pod["spec"]?["hostNetwork"] is JsonValue hostNetwork && hostNetwork.TryGetValue<bool>(out var onHost) && onHost)
        {
            problems.Add($"spec.hostNetwork: a virtual node's pod gets {ProxyInitContainerName}, whose traffic redirection would apply to the node's own network; run it in the pod network, or opt it out with {Annotations.SidecarInjectorWebhook}: disabled");
        }

        PortClashes(pod, redirects, Annotation(Annotations.Ports) is not null ? ports : null, problems);

        if (!AppContainers(pod).Any())
        {
            // The API server would refuse such a pod, but not once the patch has given it Envoy as its one container.
            problems.Add("spec.containers: the pod has none, and the injected Envoy would be its only container");
        }

        // Names are unique across a pod's containers and init containers, and across its volumes: one of ours added
        // beside the pod's own would have the API server refuse the pod, with a message that does not say why.
        // (An envoy container or a proxyinit init container is ours, from an earlier call: left above.)
        if (HasItem(pod, "initContainers", EnvoyContainerName))
        {
            problems.Add(NameTaken("initContainers", "container", EnvoyContainerName));
        }

        if (redirects && HasItem(pod, "containers", ProxyInitContainerName))
        {
            problems.Add(NameTaken("containers", "container", ProxyInitContainerName));
        }

        foreach (var volume in SidecarBuilder.VolumeNames(options).Where(v => HasItem(pod, "volumes", v)))
        {
            problems.Add(NameTaken("volumes", "volume", volume));
        }

        if (problems.Count > 0)
        {
            return new InjectionDecision.Refuse(problems);
        }

        return new InjectionDecision.Inject(new SidecarRequest
        {
            Resource = resource!,
            ApplicationPorts = ports,
            EgressIgnoredPorts = ignoredPorts,
            EgressIgnoredIps = ignoredIps,
            CpuRequest = cpu,
            MemoryRequest = memory,
            CredentialsSecret = secret,
        });
    }

    /// <summary>
    /// The ports Envoy listens on in the pod's network: its admin port, and a virtual node's inbound and outbound
    /// ports (a gateway's listeners are its own, on ports the pod's virtual gateway names).
    /// </summary>
    private static IEnumerable<(int Port, string Role)> EnvoyPorts(bool redirects) => redirects
        ? [(SidecarBuilder.AdminPort, "admin"), (SidecarBuilder.IngressPort, "inbound"), (SidecarBuilder.EgressPort, "outbound")]
        : [(SidecarBuilder.AdminPort, "admin")];

    /// <summary>
    /// An application port that is one of Envoy's: the pod's containers share one network, so whichever binds second
    /// fails to start (Envoy's listener is refused and the proxy never becomes ready, or the application crashes), and
    /// inbound traffic redirected to Envoy's own inbound port would loop. Named here rather than left to a pod that
    /// never becomes ready.
    /// </summary>
    private static void PortClashes(JsonObject pod, bool redirects, List<int>? annotatedPorts, List<string> problems)
    {
        var envoy = EnvoyPorts(redirects).ToDictionary(p => p.Port, p => p.Role);
        var containers = AppContainers(pod).ToList();
        for (var c = 0; c < containers.Count; c++)
        {
            var ports = containers[c]["ports"] as JsonArray ?? [];
            for (var p = 0; p < ports.Count; p++)
            {
                if ((ports[p]?["protocol"]?.GetValue<string>() ?? "TCP") == "TCP"
                    && ports[p]?["containerPort"]?.GetValue<int>() is { } port && envoy.TryGetValue(port, out var role))
                {
                    problems.Add($"spec.containers[{c}].ports[{p}].containerPort: {port} is the injected Envoy's {role} port; the pod's containers share one network, so the application cannot listen on it too");
                }
            }
        }

        foreach (var port in (annotatedPorts ?? []).Where(envoy.ContainsKey).Distinct())
        {
            problems.Add($"{Annotations.Ports}: {port} is the injected Envoy's {envoy[port]} port, not an application port");
        }
    }

    /// <summary>The pod's application containers (not its init containers).</summary>
    public static IEnumerable<JsonObject> AppContainers(JsonObject pod) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>Whether <paramref name="container"/> sets the environment variable <paramref name="name"/> itself.</summary>
    public static bool HasEnv(JsonObject container, string name) =>
        container["env"] is JsonArray env && env.Any(e => e?["name"]?.GetValue<string>() == name);

    /// <summary>Whether the pod's <c>spec.&lt;list&gt;</c> (containers, init containers or volumes) has an item named <paramref name="name"/>.</summary>
    private static bool HasItem(JsonObject pod, string list, string name) =>
        pod["spec"]?[list] is JsonArray items && items.Any(c => c?["name"]?.GetValue<string>() == name);

    private static string NameTaken(string list, string what, string name) =>
        $"spec.{list}: the pod already has a {what} named '{name}', the name of {(what == "volume" ? "an injected volume" : "the injected container")}";

    private static List<int> ContainerPorts(JsonObject pod) =>
        (pod["spec"]?["containers"] as JsonArray ?? [])
        .SelectMany(c => c?["ports"] as JsonArray ?? [])
        .Where(p => (p?["protocol"]?.GetValue<string>() ?? "TCP") == "TCP")
        .Select(p => p!["containerPort"]!.GetValue<int>())
        .Distinct()
        .Order()
        .ToList();

    private static List<int> Ports(string annotation, string value, List<string> problems)
    {
        var ports = new List<int>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Mesh.Model.Wire.DecimalText.TryParseInt(item, out var port) && port is >= 1 and <= 65535)
            {
                ports.Add(port);
            }
            else
            {
                problems.Add($"{annotation}: '{item}' is not a port (1-65535)");
            }
        }

        return ports;
    }

    private static List<string> Addresses(string value, List<string> problems)
    {
        var addresses = new List<string>();
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPAddress.TryParse(item, out _) || IPNetwork.TryParse(item, out _))
            {
                addresses.Add(item);
            }
            else
            {
                problems.Add($"{Annotations.EgressIgnoredIps}: '{item}' is not an IP address or CIDR");
            }
        }

        return addresses;
    }

    private static string Quantity(string annotation, string value, List<string> problems)
    {
        if (!KubernetesQuantity().IsMatch(value))
        {
            problems.Add($"{annotation}: '{value}' is not a Kubernetes quantity (e.g. 10m, 0.5, 32Mi)");
        }

        return value;
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\z")]
    private static partial Regex KubernetesQuantity();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex DnsSubdomain();
}
