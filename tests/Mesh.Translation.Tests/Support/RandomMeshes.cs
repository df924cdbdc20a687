using System.Text.Json.Nodes;
using Mesh.Model.Graph;
using Mesh.Model.Specs;

namespace Mesh.Translation.Tests.Support;

/// <summary>
/// Random meshes and random changes to them, for property tests: the stored rows of one mesh (App Mesh wire JSON,
/// as the API writes them) over small pools of names, so that references often hit an existing resource and
/// sometimes a missing one, plus the Cloud Map registry the loader would read. Every graph goes through
/// <see cref="MeshGraph.Build"/>; the same seed gives the same meshes and changes.
/// </summary>
public sealed class RandomMeshes
{
    public const string MeshName = "m";

    public static readonly string[] NodeNames = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"];
    public static readonly string[] ServiceNames = ["s0", "s1", "s2", "s3", "s4", "s5", "s6"];
    public static readonly string[] RouterNames = ["r0", "r1", "r2", "r3"];
    public static readonly string[] GatewayNames = ["g0", "g1", "g2"];
    private static readonly string[] RouteNames = ["a", "b", "c"];
    private static readonly string[] CloudMapServices = ["c0", "c1", "c2", "c3"];
    private static readonly int[] Ports = [8080, 9090];
    private static readonly string[] Protocols = ["http", "http2", "grpc", "tcp"];
    private const string Namespace = "ns";

    private readonly Random _random;
    private readonly SortedDictionary<(string Kind, string Parent, string Name), (long Version, string Spec)> _rows = [];
    private readonly SortedDictionary<string, List<CloudMapInstance>> _registry = new(StringComparer.Ordinal);

    public RandomMeshes(int seed)
    {
        _random = new Random(seed);
        Put(MeshResourceKinds.Mesh, "", MeshName, MeshSpec());
        foreach (var name in NodeNames.Where(_ => Chance(0.75)))
        {
            Put(MeshResourceKinds.VirtualNode, "", name, NodeSpec());
        }

        foreach (var name in ServiceNames.Where(_ => Chance(0.75)))
        {
            Put(MeshResourceKinds.VirtualService, "", name, ServiceSpec());
        }

        foreach (var name in RouterNames.Where(_ => Chance(0.75)))
        {
            Put(MeshResourceKinds.VirtualRouter, "", name, RouterSpec());
            foreach (var route in RouteNames.Where(_ => Chance(0.5)))
            {
                Put(MeshResourceKinds.Route, name, route, RouteSpec(name));
            }
        }

        foreach (var name in GatewayNames.Where(_ => Chance(0.6)))
        {
            Put(MeshResourceKinds.VirtualGateway, "", name, GatewaySpec());
            foreach (var route in RouteNames.Where(_ => Chance(0.5)))
            {
                Put(MeshResourceKinds.GatewayRoute, name, route, GatewayRouteSpec());
            }
        }

        foreach (var service in CloudMapServices.Where(_ => Chance(0.6)))
        {
            _registry[service] = Instances();
        }
    }

    /// <summary>The graph of the rows as they are now, with the registry (what the xDS server's loader reads).</summary>
    public MeshGraph Graph()
    {
        var graph = MeshGraph.Build(_rows.Select(r => new MeshResourceRow(r.Key.Kind, r.Key.Parent, r.Key.Name, r.Value.Version, r.Value.Spec)));
        var registry = new CloudMapRegistry(_registry
            .Select(s => new CloudMapService(Namespace, s.Key, s.Value.OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToEquatableList()))
            .ToEquatableList());
        return graph with { CloudMap = registry };
    }

    /// <summary>Applies one random change (add, update or delete of one resource, or a registry change) and says which.</summary>
    public string Mutate()
    {
        switch (_random.Next(10))
        {
            case 0:
                Put(MeshResourceKinds.Mesh, "", MeshName, MeshSpec());
                return "mesh updated";
            case 1:
                return Toggle(MeshResourceKinds.VirtualNode, "", Pick(NodeNames), NodeSpec);
            case 2:
                return Toggle(MeshResourceKinds.VirtualService, "", Pick(ServiceNames), ServiceSpec);
            case 3:
                var router = Pick(RouterNames);
                return Exists(MeshResourceKinds.VirtualRouter, "", router) && Chance(0.7)
                    ? Toggle(MeshResourceKinds.Route, router, Pick(RouteNames), () => RouteSpec(router))
                    : Toggle(MeshResourceKinds.VirtualRouter, "", router, RouterSpec);
            case 4:
                var gateway = Pick(GatewayNames);
                return Exists(MeshResourceKinds.VirtualGateway, "", gateway) && Chance(0.6)
                    ? Toggle(MeshResourceKinds.GatewayRoute, gateway, Pick(RouteNames), GatewayRouteSpec)
                    : Toggle(MeshResourceKinds.VirtualGateway, "", gateway, GatewaySpec);
            case 5:
                var service = Pick(CloudMapServices);
                if (_registry.Remove(service))
                {
                    return $"cloud map service {service} removed";
                }

                _registry[service] = Instances();
                return $"cloud map service {service} created";
            case 6:
                var instances = _registry.Keys.ToList();
                if (instances.Count == 0)
                {
                    return Mutate();
                }

                var changed = Pick(instances.ToArray());
                _registry[changed] = Instances();
                return $"cloud map service {changed}: instances changed";
            default:
                // Updates of existing nodes and routes are the most common changes in practice.
                var node = Pick(NodeNames);
                if (Exists(MeshResourceKinds.VirtualNode, "", node))
                {
                    Put(MeshResourceKinds.VirtualNode, "", node, NodeSpec());
                    return $"virtualNode {node} updated";
                }

                return Toggle(MeshResourceKinds.VirtualNode, "", node, NodeSpec);
        }
    }

    /// <summary>Creates the resource if it is missing; otherwise updates it, or deletes it (with its routes) one time in three.</summary>
    private string Toggle(string kind, string parent, string name, Func<string> spec)
    {
        var where = parent == "" ? $"{kind} {name}" : $"{kind} {parent}/{name}";
        if (!Exists(kind, parent, name))
        {
            Put(kind, parent, name, spec());
            return where + " created";
        }

        if (Chance(0.33))
        {
            _rows.Remove((kind, parent, name));
            var children = kind == MeshResourceKinds.VirtualRouter ? MeshResourceKinds.Route
                : kind == MeshResourceKinds.VirtualGateway ? MeshResourceKinds.GatewayRoute
                : null;
            foreach (var child in _rows.Keys.Where(k => k.Kind == children && k.Parent == name).ToList())
            {
                _rows.Remove(child);
            }

            return where + " deleted";
        }

        Put(kind, parent, name, spec());
        return where + " updated";
    }

    private bool Exists(string kind, string parent, string name) => _rows.ContainsKey((kind, parent, name));

    private void Put(string kind, string parent, string name, string spec)
    {
        var version = _rows.TryGetValue((kind, parent, name), out var old) ? old.Version + 1 : 1;
        _rows[(kind, parent, name)] = (version, spec);
    }

    private string MeshSpec()
    {
        var spec = new JsonObject();
        if (Chance(0.5))
        {
            spec["egressFilter"] = new JsonObject { ["type"] = Chance(0.5) ? "ALLOW_ALL" : "DROP_ALL" };
        }

        if (Chance(0.3))
        {
            spec["serviceDiscovery"] = new JsonObject { ["ipPreference"] = Pick(["IPv4_PREFERRED", "IPv6_PREFERRED", "IPv4_ONLY"]) };
        }

        return spec.ToJsonString();
    }

    private string NodeSpec()
    {
        var spec = new JsonObject();
        var listeners = new JsonArray();
        foreach (var port in Ports.Where(_ => Chance(0.55)))
        {
            listeners.Add(NodeListener(port));
        }

        spec["listeners"] = listeners;
        spec["serviceDiscovery"] = _random.Next(5) switch
        {
            0 => null,
            1 or 2 => new JsonObject { ["dns"] = new JsonObject { ["hostname"] = Chance(0.5) ? $"10.0.0.{_random.Next(1, 9)}" : $"h{_random.Next(4)}.local", ["responseType"] = Chance(0.5) ? "ENDPOINTS" : "LOADBALANCER" } },
            _ => CloudMapDiscovery(),
        };
        if (spec["serviceDiscovery"] is null)
        {
            spec.Remove("serviceDiscovery");
        }

        var backends = new JsonArray();
        foreach (var service in ServiceNames.Where(_ => Chance(0.3)))
        {
            var backend = new JsonObject { ["virtualServiceName"] = service };
            if (Chance(0.2))
            {
                backend["clientPolicy"] = ClientPolicy();
            }

            backends.Add(new JsonObject { ["virtualService"] = backend });
        }

        spec["backends"] = backends;
        if (Chance(0.2))
        {
            spec["backendDefaults"] = new JsonObject { ["clientPolicy"] = ClientPolicy() };
        }

        return spec.ToJsonString();
    }

    private JsonObject CloudMapDiscovery()
    {
        var cloudMap = new JsonObject { ["namespaceName"] = Namespace, ["serviceName"] = Pick(CloudMapServices) };
        if (Chance(0.3))
        {
            cloudMap["attributes"] = new JsonArray(new JsonObject { ["key"] = "stage", ["value"] = Pick(["blue", "green"]) });
        }

        return new JsonObject { ["awsCloudMap"] = cloudMap };
    }

    private JsonObject NodeListener(int port)
    {
        var protocol = Pick(Protocols);
        var listener = new JsonObject { ["portMapping"] = new JsonObject { ["port"] = port, ["protocol"] = protocol } };
        if (Chance(0.2))
        {
            var set = _random.Next(2);
            var tls = new JsonObject
            {
                ["mode"] = Pick(["STRICT", "PERMISSIVE"]),
                ["certificate"] = Chance(0.15)
                    ? new JsonObject { ["sds"] = new JsonObject { ["secretName"] = "spiffe://td/node" } }
                    : new JsonObject { ["file"] = new JsonObject { ["certificateChain"] = $"/certs/{set}/chain.pem", ["privateKey"] = $"/certs/{set}/key.pem" } },
            };
            if (Chance(0.4))
            {
                // Mutual TLS, from a file trust mostly, with client SANs to match sometimes.
                var validation = new JsonObject
                {
                    ["trust"] = Chance(0.8)
                        ? new JsonObject { ["file"] = new JsonObject { ["certificateChain"] = $"/ca/{_random.Next(3)}.pem" } }
                        : new JsonObject { ["sds"] = new JsonObject { ["secretName"] = "spiffe://td" } },
                };
                if (Chance(0.3))
                {
                    validation["subjectAlternativeNames"] = new JsonObject { ["match"] = new JsonObject { ["exact"] = new JsonArray("spiffe://td/client") } };
                }

                tls["validation"] = validation;
            }

            listener["tls"] = tls;
        }

        if (Chance(0.3) && protocol != "tcp")
        {
            listener["timeout"] = new JsonObject { [protocol] = new JsonObject { ["perRequest"] = new JsonObject { ["unit"] = "s", ["value"] = _random.Next(1, 30) } } };
        }

        if (Chance(0.15))
        {
            listener["outlierDetection"] = new JsonObject
            {
                ["maxServerErrors"] = _random.Next(1, 10),
                ["maxEjectionPercent"] = 50,
                ["interval"] = new JsonObject { ["unit"] = "s", ["value"] = 10 },
                ["baseEjectionDuration"] = new JsonObject { ["unit"] = "s", ["value"] = 30 },
            };
        }

        return listener;
    }

    private JsonObject ClientPolicy()
    {
        var tls = new JsonObject
        {
            ["validation"] = new JsonObject
            {
                ["trust"] = Chance(0.85)
                    ? new JsonObject { ["file"] = new JsonObject { ["certificateChain"] = $"/ca/{_random.Next(3)}.pem" } }
                    : new JsonObject { ["sds"] = new JsonObject { ["secretName"] = "spiffe://td" } },
            },
        };
        if (Chance(0.4))
        {
            // Mutual TLS: the client's own certificate, from files mostly.
            var set = _random.Next(2);
            tls["certificate"] = Chance(0.85)
                ? new JsonObject { ["file"] = new JsonObject { ["certificateChain"] = $"/client/{set}/chain.pem", ["privateKey"] = $"/client/{set}/key.pem" } }
                : new JsonObject { ["sds"] = new JsonObject { ["secretName"] = "spiffe://td/client" } };
        }

        if (Chance(0.2))
        {
            tls["ports"] = new JsonArray(Pick(Ports));
        }

        return new JsonObject { ["tls"] = tls };
    }

    private string ServiceSpec()
    {
        var provider = _random.Next(5) switch
        {
            0 => null,
            1 or 2 => new JsonObject { ["virtualNode"] = new JsonObject { ["virtualNodeName"] = Pick(NodeNames) } },
            _ => new JsonObject { ["virtualRouter"] = new JsonObject { ["virtualRouterName"] = Pick(RouterNames) } },
        };
        return (provider is null ? new JsonObject() : new JsonObject { ["provider"] = provider }).ToJsonString();
    }

    private string RouterSpec()
    {
        var listeners = new JsonArray();
        foreach (var port in Ports.Where(_ => Chance(0.6)))
        {
            listeners.Add(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = port, ["protocol"] = Pick(Protocols) } });
        }

        if (listeners.Count == 0)
        {
            listeners.Add(new JsonObject { ["portMapping"] = new JsonObject { ["port"] = Pick(Ports), ["protocol"] = Pick(Protocols) } });
        }

        return new JsonObject { ["listeners"] = listeners }.ToJsonString();
    }

    /// <summary>
    /// A route of a kind one of its router's listeners has, mostly, as users write them; one time in seven of any kind,
    /// which the translation warns of as not applied.
    /// </summary>
    private string RouteSpec(string router)
    {
        var protocols = _rows.TryGetValue((MeshResourceKinds.VirtualRouter, "", router), out var row)
            ? (JsonNode.Parse(row.Spec)?["listeners"]?.AsArray() ?? []).Select(l => l?["portMapping"]?["protocol"]?.GetValue<string>()).OfType<string>().ToArray()
            : [];
        var kind = protocols.Length > 0 && !Chance(1.0 / 7) ? Pick(protocols) : Pick(Protocols);

        var targets = new JsonArray();
        foreach (var node in NodeNames.Where(_ => Chance(0.25)).DefaultIfEmpty(Pick(NodeNames)))
        {
            var target = new JsonObject { ["virtualNode"] = node, ["weight"] = _random.Next(0, 4) };
            if (Chance(0.2))
            {
                target["port"] = Pick(Ports);
            }

            targets.Add(target);
        }

        var action = new JsonObject { ["weightedTargets"] = targets };
        var spec = new JsonObject();
        if (Chance(0.5))
        {
            spec["priority"] = _random.Next(0, 3);
        }

        switch (kind)
        {
            case "http":
            case "http2":
                var match = new JsonObject { ["prefix"] = Pick(["/", "/a", "/b"]) };
                if (Chance(0.2))
                {
                    match["port"] = Pick(Ports);
                }

                var http = new JsonObject { ["match"] = match, ["action"] = action };
                if (Chance(0.3))
                {
                    http["retryPolicy"] = new JsonObject
                    {
                        ["maxRetries"] = _random.Next(0, 4),
                        ["perRetryTimeout"] = new JsonObject { ["unit"] = "ms", ["value"] = 250 },
                        ["httpRetryEvents"] = new JsonArray("server-error"),
                    };
                }

                spec[kind + "Route"] = http;
                break;
            case "grpc":
                spec["grpcRoute"] = new JsonObject { ["match"] = new JsonObject { ["serviceName"] = Pick(["svc.A", "svc.B"]) }, ["action"] = action };
                break;
            default:
                spec["tcpRoute"] = new JsonObject { ["action"] = action };
                break;
        }

        return spec.ToJsonString();
    }

    private string GatewaySpec()
    {
        var listener = new JsonObject { ["portMapping"] = new JsonObject { ["port"] = Pick(Ports), ["protocol"] = Pick(["http", "http2", "grpc"]) } };
        var spec = new JsonObject { ["listeners"] = new JsonArray(listener) };
        if (Chance(0.2))
        {
            spec["backendDefaults"] = new JsonObject { ["clientPolicy"] = ClientPolicy() };
        }

        return spec.ToJsonString();
    }

    private string GatewayRouteSpec()
    {
        var target = new JsonObject { ["virtualService"] = new JsonObject { ["virtualServiceName"] = Pick(ServiceNames) } };
        if (Chance(0.2))
        {
            target["port"] = Pick(Ports);
        }

        var spec = new JsonObject();
        if (Chance(0.3))
        {
            spec["priority"] = _random.Next(0, 3);
        }

        if (Chance(0.3))
        {
            spec["grpcRoute"] = new JsonObject { ["match"] = new JsonObject { ["serviceName"] = Pick(["svc.A", "svc.B"]) }, ["action"] = new JsonObject { ["target"] = target } };
        }
        else
        {
            spec[Chance(0.6) ? "httpRoute" : "http2Route"] = new JsonObject
            {
                ["match"] = new JsonObject { ["prefix"] = Pick(["/", "/a", "/b/"]) },
                ["action"] = new JsonObject { ["target"] = target },
            };
        }

        return spec.ToJsonString();
    }

    private List<CloudMapInstance> Instances()
    {
        var instances = new List<CloudMapInstance>();
        for (var i = _random.Next(4); i > 0; i--)
        {
            var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                // Now and then an address or a port the registry should not hold: translation must leave it out, not send it.
                ["AWS_INSTANCE_IPV4"] = Chance(0.9) ? $"10.1.{_random.Next(3)}.{_random.Next(1, 250)}" : Pick(["not-an-ip", "", "999.1.1.1", " 10.1.0.7"]),
                ["AVAILABILITY_ZONE"] = Pick(["az1", "az2"]),
                ["stage"] = Pick(["blue", "green"]),
            };
            if (Chance(0.3))
            {
                attributes["AWS_INSTANCE_PORT"] = Chance(0.85)
                    ? _random.Next(1000, 1010).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : Pick(["0", "65536", "-1", "abc", ""]);
            }

            instances.Add(new CloudMapInstance($"i-{i}", attributes.ToEquatableList(), Chance(0.8)));
        }

        return instances;
    }

    private bool Chance(double p) => _random.NextDouble() < p;

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
