using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Cloud Map's rules on a service's DNS records and Route 53 health check beyond the model's shapes, as its API
/// states them: stored without them, a service would hold what Cloud Map itself never holds.
/// </summary>
public static class CloudMapServiceRules
{
    /// <summary>The refusals of a CreateService request, or none.</summary>
    public static List<Violation> OfCreate(JsonObject input)
    {
        var violations = new List<Violation>();
        if (input["NamespaceId"]?.GetValue<string>() is { } top && input["DnsConfig"]?["NamespaceId"]?.GetValue<string>() is { } nested
            && top != nested)
        {
            violations.Add(new Violation("DnsConfig.NamespaceId", $"names namespace {nested}, but NamespaceId names {top}; give one (DnsConfig.NamespaceId is deprecated)"));
        }

        if (input["DnsConfig"] is JsonObject dns)
        {
            CheckRecords(dns["DnsRecords"] as JsonArray, dns["RoutingPolicy"]?.GetValue<string>(), "DnsConfig.DnsRecords", violations);
        }

        CheckHealthCheck(input["HealthCheckConfig"] as JsonObject, "HealthCheckConfig", violations);
        CheckCnameHealthCheck(input["DnsConfig"]?["DnsRecords"] as JsonArray, input["HealthCheckConfig"] is not null, "HealthCheckConfig", violations);
        return violations;
    }

    /// <summary>
    /// The refusals of the service an UpdateService change leaves (its DNS configuration and Route 53 health check as
    /// stored after the change), which neither the change nor the held service shows alone.
    /// </summary>
    public static List<Violation> OfUpdatedService(string? dnsConfig, string? healthCheckConfig)
    {
        var violations = new List<Violation>();
        var records = dnsConfig is null ? null : JsonNode.Parse(dnsConfig)?["DnsRecords"] as JsonArray;
        CheckCnameHealthCheck(records, healthCheckConfig is not null, "Service.HealthCheckConfig", violations);
        return violations;
    }

    /// <summary>The refusals of an UpdateService change, given the routing policy the service keeps.</summary>
    public static List<Violation> OfUpdate(JsonObject change, string? routingPolicy)
    {
        var violations = new List<Violation>();
        CheckRecords(change["DnsConfig"]?["DnsRecords"] as JsonArray, routingPolicy, "Service.DnsConfig.DnsRecords", violations);
        CheckHealthCheck(change["HealthCheckConfig"] as JsonObject, "Service.HealthCheckConfig", violations);
        return violations;
    }

    private static void CheckRecords(JsonArray? records, string? routingPolicy, string path, List<Violation> violations)
    {
        if (records is null)
        {
            return;
        }

        var types = records.Select(r => r?["Type"]?.GetValue<string>()).OfType<string>().ToList();
        if (types.Count == 0)
        {
            violations.Add(new Violation(path, "must hold at least one record: a DNS service without records can register no instance"));
            return;
        }

        if (types.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            violations.Add(new Violation(path, $"holds {repeated.Key} {repeated.Count()} times; each record type appears once"));
        }

        if (types.Contains("CNAME") && types.Count > 1)
        {
            violations.Add(new Violation(path, "a CNAME record must be the service's only record"));
        }

        if (types.Contains("CNAME") && routingPolicy == "MULTIVALUE")
        {
            violations.Add(new Violation(path, "a CNAME record needs the WEIGHTED routing policy, not MULTIVALUE"));
        }
    }

    /// <summary>
    /// HealthCheckConfig: "You can't specify settings for HealthCheckConfig when the DNSConfig includes CNAME for the
    /// value of Type" (Route 53 checks the IP address of an A or AAAA record; a CNAME has none).
    /// </summary>
    private static void CheckCnameHealthCheck(JsonArray? records, bool routeFiftyThreeCheck, string path, List<Violation> violations)
    {
        if (routeFiftyThreeCheck && records is not null && records.Any(r => r?["Type"]?.GetValue<string>() == "CNAME"))
        {
            violations.Add(new Violation(path, "a service with a CNAME record takes no Route 53 health check"));
        }
    }

    private static void CheckHealthCheck(JsonObject? check, string path, List<Violation> violations)
    {
        if (check?["Type"]?.GetValue<string>() == "TCP" && check["ResourcePath"] is not null)
        {
            violations.Add(new Violation($"{path}.ResourcePath", "is for HTTP and HTTPS health checks; a TCP health check takes none"));
        }
    }
}
