using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Mesh.Model.Graph;
using Specs = Mesh.Model.Specs;
using Mesh.Model.Resources;
using Mesh.Model.Wire;

namespace Mesh.Translation;

/// <summary>
/// The endpoints of a virtual node that discovers through Cloud Map: the registered instances of its namespace
/// and service that are healthy and carry every attribute the node names, as App Mesh's control plane queried
/// them. The address is AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 as the IP preference says; the port is the
/// instance's AWS_INSTANCE_PORT for a node with one listener, otherwise the listener's own port. The
/// AVAILABILITY_ZONE and REGION attributes become the endpoint's locality, so zone-aware routing works.
/// A service that does not exist, or that has no matching instance, gives an empty assignment and a warning:
/// the callers get no hosts, and the operator sees why.
/// </summary>
internal static class CloudMapAssignments
{
    public const string Ipv4 = "AWS_INSTANCE_IPV4";
    public const string Ipv6 = "AWS_INSTANCE_IPV6";
    public const string Port = "AWS_INSTANCE_PORT";
    public const string AvailabilityZone = "AVAILABILITY_ZONE";
    public const string Region = "REGION";

    public static ClusterLoadAssignment Assignment(TranslationContext context, string cluster, UpstreamRequest request, Specs.AwsCloudMapServiceDiscovery cloudMap, uint? healthPort)
    {
        var node = request.Node;
        var where = $"{request.Where}: virtualNode/{node.Name} (Cloud Map service '{cloudMap.ServiceName}' in namespace '{cloudMap.NamespaceName}')";
        var assignment = new ClusterLoadAssignment { ClusterName = cluster };
        if (context.Graph.CloudMap.Find(cloudMap.NamespaceName, cloudMap.ServiceName) is not { } service)
        {
            context.Warn(WarningKind.UnknownRegistryService, $"{where}: the service does not exist in the registry, so the node has no endpoints");
            return assignment;
        }

        var wanted = cloudMap.Attributes ?? [];
        var preference = cloudMap.IpPreference ?? context.Graph.Mesh.ServiceDiscovery?.IpPreference;
        var singleListener = (node.Spec.Listeners?.Count ?? 0) == 1;
        var listenerPort = (uint)request.Listener.PortMapping.Port;
        var endpoints = new List<(string Region, string Zone, string InstanceId, string Address, uint Port)>();
        var withoutAddress = 0;
        var otherPorts = new SortedSet<int>();
        foreach (var instance in service.Instances.Where(i => i.Healthy && wanted.All(w => i.Attribute(w.Key) == w.Value)))
        {
            if (Address(instance, preference) is not { } address)
            {
                withoutAddress++;
                continue;
            }

            var hasPort = DecimalText.TryParseInt(instance.Attribute(Port), out var instancePort) && instancePort is > 0 and <= 65535;
            var port = singleListener && hasPort ? (uint)instancePort : listenerPort;
            // A port that is one of the node's listeners' is right for that listener (an ECS task registers one of
            // its ports): only a port no listener has is ignored in a way that can surprise.
            if (hasPort && !singleListener && !node.Spec.Listeners!.Any(l => l.PortMapping.Port == instancePort))
            {
                otherPorts.Add(instancePort);
            }
            endpoints.Add((instance.Attribute(Region) ?? "", instance.Attribute(AvailabilityZone) ?? "", instance.InstanceId, address, port));
        }

        var filter = wanted.Count == 0 ? "" : " with " + string.Join(", ", wanted.Select(w => $"{w.Key}={w.Value}"));
        if (withoutAddress > 0)
        {
            // The instances are there and healthy: what they lack is an address of a family the node may use, which
            // is what the user has to fix (the registration, or the node's ipPreference), so that is what is said.
            var usable = $"{AddressAttributes(preference)} address{OnlyFamily(preference)}";
            context.Warn(WarningKind.NoEndpoints, endpoints.Count == 0
                ? $"{where}: none of the {withoutAddress} healthy instance(s){filter} has a usable {usable}, so the node has no endpoints and calls to it fail (503 / UNAVAILABLE); register them with one{(OnlyFamily(preference).Length > 0 ? " or change the ipPreference" : "")}"
                : $"{where}: {withoutAddress} healthy instance(s){filter} have no usable {usable} and were left out");
        }

        if (otherPorts.Count > 0)
        {
            // With several listeners, an instance's one port cannot say which listener it is: each listener is
            // reached on its own port (docs/cloud-map.md), so a different registered port is ignored, and said so.
            context.Warn(WarningKind.SettingIgnored, $"{where}: AWS_INSTANCE_PORT {string.Join(", ", otherPorts)} of the instances is ignored: virtualNode/{node.Name} has {node.Spec.Listeners!.Count} listeners, "
                + $"so its listener {listenerPort} is reached on port {listenerPort}; register the instances with that port or give the node one listener");
        }

        if (endpoints.Count == 0)
        {
            if (withoutAddress == 0)
            {
                context.Warn(WarningKind.NoEndpoints, $"{where}: no healthy instance{filter} is registered ({service.Instances.Count} registered), so the node has no endpoints");
            }

            return assignment;
        }

        // Instances registered at one address and port are one host: gRPC clients refuse an assignment that repeats an
        // address (grpc-go, grpc-js), so the first by instance id stands for the others.
        var distinct = endpoints.OrderBy(e => e.InstanceId, StringComparer.Ordinal).DistinctBy(e => (e.Address, e.Port)).ToList();
        if (distinct.Count < endpoints.Count)
        {
            context.Warn(WarningKind.NoEndpoints, $"{where}: {endpoints.Count - distinct.Count} instance(s) have the address and port of another instance and were left out");
        }

        // One group per locality, each with a weight: gRPC ignores a locality without one and wants each once. The
        // weight is the locality's host count: gRPC first splits calls between localities by weight, then within one,
        // so every host gets its share as in Envoy, which ignores locality weights here.
        foreach (var group in distinct.GroupBy(e => (e.Region, e.Zone)).OrderBy(g => g.Key.Region, StringComparer.Ordinal).ThenBy(g => g.Key.Zone, StringComparer.Ordinal))
        {
            var locality = new LocalityLbEndpoints
            {
                Locality = new Locality { Region = group.Key.Region, Zone = group.Key.Zone },
                LoadBalancingWeight = (uint)group.Count(),
            };
            foreach (var endpoint in group.OrderBy(e => e.InstanceId, StringComparer.Ordinal))
            {
                var lb = new Endpoint { Address = Protos.SocketAddress(endpoint.Address, endpoint.Port) };
                if (healthPort is { } hp)
                {
                    lb.HealthCheckConfig = new Endpoint.Types.HealthCheckConfig { PortValue = hp };
                }

                locality.LbEndpoints.Add(new LbEndpoint { Endpoint = lb });
            }

            assignment.Endpoints.Add(locality);
        }

        return assignment;
    }

    private static string? Address(CloudMapInstance instance, Specs.IpPreference? preference)
    {
        var v4 = Valid(instance.Attribute(Ipv4), AddressFamily.InterNetwork);
        var v6 = Valid(instance.Attribute(Ipv6), AddressFamily.InterNetworkV6);
        return preference switch
        {
            Specs.IpPreference.IPv4Only => v4,
            Specs.IpPreference.IPv6Only => v6,
            Specs.IpPreference.IPv6Preferred => v6 ?? v4,
            _ => v4 ?? v6,
        };
    }

    /// <summary>Why an address of the other family does not do: the node's ipPreference allows one family only.</summary>
    private static string OnlyFamily(Specs.IpPreference? preference) => preference switch
    {
        Specs.IpPreference.IPv4Only => " (ipPreference IPv4_ONLY)",
        Specs.IpPreference.IPv6Only => " (ipPreference IPv6_ONLY)",
        _ => "",
    };

    private static string AddressAttributes(Specs.IpPreference? preference) => preference switch
    {
        Specs.IpPreference.IPv4Only => Ipv4,
        Specs.IpPreference.IPv6Only => Ipv6,
        _ => $"{Ipv4} or {Ipv6}",
    };

    /// <summary>The address in canonical form, or null: EDS endpoints must be literal IPs of the right family.</summary>
    private static string? Valid(string? text, AddressFamily family) =>
        IpLiteral.TryParse(text, family, out var address) ? address.ToString() : null;
}
