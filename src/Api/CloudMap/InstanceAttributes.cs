using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;
using Mesh.Model.Resources;

namespace Mesh.Api.CloudMap;

/// <summary>
/// The attributes Cloud Map gives a meaning to, checked when an instance is registered: addresses must be
/// addresses, the port a port, and a DNS service's records need the attributes they are made from.
/// </summary>
public static class InstanceAttributes
{
    public const string Ipv4 = "AWS_INSTANCE_IPV4";
    public const string Ipv6 = "AWS_INSTANCE_IPV6";
    public const string Port = "AWS_INSTANCE_PORT";
    public const string Cname = "AWS_INSTANCE_CNAME";
    public const string InitHealthStatus = "AWS_INIT_HEALTH_STATUS";

    /// <summary>Cloud Map's limit of attributes per instance.</summary>
    public const int MaxAttributes = 30;

    /// <summary>Cloud Map's limit on an instance's attributes together: every key's and value's characters.</summary>
    public const int MaxTotalCharacters = 5_000;

    /// <summary>
    /// Refuses the attributes Cloud Map would refuse for a service with <paramref name="dnsConfig"/> (its records),
    /// custom health checks (<paramref name="customHealth"/>) or a Route 53 health check
    /// (<paramref name="routeFiftyThreeCheck"/>), naming each bad attribute in one InvalidInput.
    /// </summary>
    public static void Check(JsonObject attributes, string? dnsConfig, bool customHealth, bool routeFiftyThreeCheck)
    {
        var violations = new List<Violation>();
        string? Value(string name) => attributes[name]?.GetValue<string>();
        if (attributes.Count > MaxAttributes)
        {
            violations.Add(new Violation("Attributes", $"must have at most {MaxAttributes} entries, got {attributes.Count}"));
        }

        var total = attributes.Sum(a => ShapeValidator.CountCharacters(a.Key) + ShapeValidator.CountCharacters(a.Value?.GetValue<string>() ?? ""));
        if (total > MaxTotalCharacters)
        {
            violations.Add(new Violation("Attributes", $"must hold at most {MaxTotalCharacters} characters in all its keys and values together, got {total}"));
        }

        if (Value(Ipv4) is { } v4 && !IsAddress(v4, AddressFamily.InterNetwork))
        {
            violations.Add(new Violation($"Attributes[\"{Ipv4}\"]", $"must be an IPv4 address such as 192.0.2.44, got \"{v4}\""));
        }

        if (Value(Ipv6) is { } v6 && !IsAddress(v6, AddressFamily.InterNetworkV6))
        {
            violations.Add(new Violation($"Attributes[\"{Ipv6}\"]", $"must be an IPv6 address such as 2001:0db8::1, got \"{v6}\""));
        }

        if (Value(Port) is { } port && !(DecimalText.TryParseInt(port, out var number) && number is >= 1 and <= 65535))
        {
            violations.Add(new Violation($"Attributes[\"{Port}\"]", $"must be a port from 1 to 65535, got \"{port}\""));
        }

        if (Value(InitHealthStatus) is { } init)
        {
            if (init is not ("HEALTHY" or "UNHEALTHY"))
            {
                violations.Add(new Violation($"Attributes[\"{InitHealthStatus}\"]", $"must be HEALTHY or UNHEALTHY, got \"{init}\""));
            }
            else if (!customHealth)
            {
                violations.Add(new Violation($"Attributes[\"{InitHealthStatus}\"]", "applies only to a service with HealthCheckCustomConfig"));
            }
        }

        // RegisterInstance, AWS_INSTANCE_PORT: "required if you specified settings for an SRV record or a Route 53
        // health check". Nothing probes it here, but a registration Cloud Map refuses is refused here too.
        if (routeFiftyThreeCheck && Value(Port) is null)
        {
            violations.Add(new Violation("Attributes", $"the service's Route 53 health check needs {Port}"));
        }

        if (dnsConfig is not null)
        {
            foreach (var record in JsonNode.Parse(dnsConfig)?["DnsRecords"]?.AsArray() ?? [])
            {
                var type = record?["Type"]?.GetValue<string>();
                var missing = type switch
                {
                    "A" when Value(Ipv4) is null => Ipv4,
                    "AAAA" when Value(Ipv6) is null => Ipv6,
                    "CNAME" when Value(Cname) is null => Cname,
                    "SRV" when Value(Port) is null => Port,
                    "SRV" when Value(Ipv4) is null && Value(Ipv6) is null => $"{Ipv4} or {Ipv6}",
                    _ => null,
                };
                if (missing is not null)
                {
                    violations.Add(new Violation("Attributes", $"the service's {type} record needs {missing}"));
                }
            }
        }

        if (violations.Count > 0)
        {
            throw CloudMapErrors.Invalid(violations);
        }
    }

    private static bool IsAddress(string text, AddressFamily family) => IpLiteral.TryParse(text, family, out _);
}
