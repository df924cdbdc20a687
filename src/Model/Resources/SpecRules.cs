using System.Text;
using System.Text.Json.Nodes;
using Mesh.Model.Identity;
using Mesh.Model.Wire;

namespace Mesh.Model.Resources;

/// <summary>
/// App Mesh's own rules on top of the model's constraints. They run on a spec that already passed
/// <see cref="ShapeValidator"/>, so member types can be trusted here.
/// </summary>
public static class SpecRules
{
    private static readonly string[] RouteProtocols = ["httpRoute", "http2Route", "grpcRoute", "tcpRoute"];
    private static readonly string[] GatewayRouteProtocols = ["httpRoute", "http2Route", "grpcRoute"];
    private static readonly string[] ReservedPrefixes = ["/aws-appmesh", "/aws-app-mesh"];

    public static IReadOnlyList<Violation> Check(ResourceKind kind, JsonObject spec)
    {
        var violations = new List<Violation>();
        if (kind == ResourceKind.VirtualNode)
        {
            CheckListeners(spec["listeners"] as JsonArray, "spec.listeners", violations, checkPoolAndTimeout: true);
            CheckGrpcHealthChecks(spec["listeners"] as JsonArray, violations);
            CheckRepeatedBackends(spec["backends"] as JsonArray, violations);
            CheckDnsHostname(spec["serviceDiscovery"]?["dns"]?["hostname"]?.GetValue<string>(), violations);
        }
        else if (kind == ResourceKind.VirtualRouter)
        {
            CheckListeners(spec["listeners"] as JsonArray, "spec.listeners", violations, checkPoolAndTimeout: false);
        }
        else if (kind == ResourceKind.VirtualGateway)
        {
            CheckListeners(spec["listeners"] as JsonArray, "spec.listeners", violations, checkPoolAndTimeout: true);
        }
        else if (kind == ResourceKind.Route)
        {
            CheckRoute(spec, violations);
        }
        else if (kind == ResourceKind.GatewayRoute)
        {
            CheckGatewayRoute(spec, violations);
        }

        if (kind == ResourceKind.VirtualNode || kind == ResourceKind.VirtualGateway)
        {
            CheckAccessLogFormat(spec["logging"]?["accessLog"]?["file"]?["format"] as JsonObject, "spec.logging.accessLog.file.format", violations);
        }

        CheckEnvoyLimits(spec, "spec", violations);
        return violations;
    }

    /// <summary>A text format, and each JSON format's value, must be one Envoy can parse (<see cref="AccessLogFormats"/>).</summary>
    private static void CheckAccessLogFormat(JsonObject? format, string path, List<Violation> violations)
    {
        if (format?["text"]?.GetValue<string>() is { } text && AccessLogFormats.Problem(text) is { } textProblem)
        {
            violations.Add(new Violation($"{path}.text", textProblem));
        }

        if (format?["json"] is JsonArray pairs)
        {
            for (var i = 0; i < pairs.Count; i++)
            {
                if (pairs[i]?["value"]?.GetValue<string>() is { } value && AccessLogFormats.Problem(value) is { } problem)
                {
                    violations.Add(new Violation($"{path}.json[{i}].value", problem));
                }
            }
        }
    }

    /// <summary>The listener ports a virtual node, router or gateway spec declares.</summary>
    public static IReadOnlyList<int> ListenerPorts(JsonObject spec) =>
        spec["listeners"] is JsonArray listeners
            ? listeners.Select(l => l?["portMapping"]?["port"]?.GetValue<long>()).OfType<long>().Select(p => (int)p).ToList()
            : [];

    /// <summary>The match.port a route spec names, if any.</summary>
    public static (int Port, string Path)? RouteMatchPort(JsonObject spec)
    {
        foreach (var protocol in RouteProtocols)
        {
            if (spec[protocol]?["match"]?["port"] is JsonValue port)
            {
                return ((int)port.GetValue<long>(), $"spec.{protocol}.match.port");
            }
        }

        return null;
    }

    private static void CheckListeners(JsonArray? listeners, string path, List<Violation> violations, bool checkPoolAndTimeout)
    {
        if (listeners is null)
        {
            return;
        }

        var seen = new Dictionary<long, int>();
        for (var i = 0; i < listeners.Count; i++)
        {
            var listenerPath = $"{path}[{i}]";
            var mapping = listeners[i]?["portMapping"];
            var port = mapping?["port"]?.GetValue<long>();
            var protocol = mapping?["protocol"]?.GetValue<string>();
            if (port is { } p)
            {
                if (seen.TryGetValue(p, out var first))
                {
                    violations.Add(new Violation($"{listenerPath}.portMapping.port", $"port {p} is already used by {path}[{first}]; listener ports must be unique"));
                }
                else
                {
                    seen[p] = i;
                }
            }

            foreach (var time in (string[])["interval", "baseEjectionDuration"])
            {
                if (listeners[i]?["outlierDetection"]?[time]?["value"]?.GetValue<long>() is 0)
                {
                    violations.Add(new Violation($"{listenerPath}.outlierDetection.{time}.value", "must be above 0: Envoy's outlier detection takes no zero time"));
                }
            }

            // Envoy takes the path only as a strict header value, refusing any control character but a tab with the
            // whole cluster update of every caller; a space or tab would break the request line the check sends.
            if (listeners[i]?["healthCheck"]?["path"]?.GetValue<string>() is { } healthPath && HttpText.HasSpaceOrControl(healthPath))
            {
                violations.Add(new Violation($"{listenerPath}.healthCheck.path", "must not contain spaces or control characters: it is sent as a request's path"));
            }

            if (!checkPoolAndTimeout || protocol is null)
            {
                continue;
            }

            foreach (var setting in new[] { "connectionPool", "timeout" })
            {
                if (listeners[i]?[setting] is JsonObject union && union.Count == 1)
                {
                    var chosen = union.First().Key;
                    if (chosen != protocol)
                    {
                        violations.Add(new Violation($"{listenerPath}.{setting}.{chosen}",
                            $"is for protocol {chosen}, but the listener's protocol is {protocol}; they must match"));
                    }
                }
            }
        }
    }

    /// <summary>
    /// A node's health check is run by its callers' Envoys on the cluster they reach the listener by, and Envoy refuses
    /// a gRPC health check on a cluster that does not speak HTTP/2 (the whole cluster update with it). A listener
    /// speaks HTTP/2 when its protocol is http2 or grpc.
    /// </summary>
    private static void CheckGrpcHealthChecks(JsonArray? listeners, List<Violation> violations)
    {
        for (var i = 0; i < (listeners?.Count ?? 0); i++)
        {
            var protocol = listeners![i]?["portMapping"]?["protocol"]?.GetValue<string>();
            if (listeners[i]?["healthCheck"]?["protocol"]?.GetValue<string>() == "grpc" && protocol is not null and not ("http2" or "grpc"))
            {
                violations.Add(new Violation($"spec.listeners[{i}].healthCheck.protocol",
                    $"grpc needs a listener that speaks HTTP/2 (protocol http2 or grpc), and this listener's protocol is {protocol}; use http or tcp"));
            }
        }
    }

    /// <summary>
    /// A node reaches each virtual service one way, so a service listed twice with different client policies would have
    /// one of them ignored (and with it, perhaps, the TLS it asks for). The same entry twice is harmless and accepted.
    /// </summary>
    private static void CheckRepeatedBackends(JsonArray? backends, List<Violation> violations)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < (backends?.Count ?? 0); i++)
        {
            if (backends![i]?["virtualService"] is not JsonObject service || service["virtualServiceName"]?.GetValue<string>() is not { } name)
            {
                continue;
            }

            if (!first.TryGetValue(name, out var earlier))
            {
                first[name] = i;
            }
            else if (!JsonNode.DeepEquals(service["clientPolicy"], backends[earlier]?["virtualService"]?["clientPolicy"]))
            {
                violations.Add(new Violation($"spec.backends[{i}].virtualService",
                    $"virtualService '{name}' is already spec.backends[{earlier}] with another clientPolicy; list each backend once"));
            }
        }
    }

    private static void CheckRoute(JsonObject spec, List<Violation> violations)
    {
        CheckExactlyOneProtocol(spec, RouteProtocols, violations);
        foreach (var protocol in RouteProtocols)
        {
            if (spec[protocol] is not JsonObject route)
            {
                continue;
            }

            var path = $"spec.{protocol}";
            if (route["action"]?["weightedTargets"] is JsonArray targets && targets.Count > 0)
            {
                var total = targets.Sum(t => t?["weight"]?.GetValue<long>() ?? 0);
                if (total is < 1 or > 100)
                {
                    violations.Add(new Violation($"{path}.action.weightedTargets",
                        $"weights must add up to between 1 and 100, but they add up to {total}"));
                }
            }

            if (route["match"] is JsonObject match)
            {
                if (protocol == "grpcRoute" && match["methodName"] is not null && match["serviceName"] is null)
                {
                    violations.Add(new Violation($"{path}.match.methodName", "requires serviceName to be set as well"));
                }

                if (protocol is "httpRoute" or "http2Route")
                {
                    CheckHttpPathMatch(match, $"{path}.match", violations, gateway: false);
                }

                CheckRegexes(match, $"{path}.match", violations);
                CheckMatchNames(match, $"{path}.match", violations);
            }
        }
    }

    private static void CheckGatewayRoute(JsonObject spec, List<Violation> violations)
    {
        CheckExactlyOneProtocol(spec, GatewayRouteProtocols, violations);
        foreach (var protocol in GatewayRouteProtocols)
        {
            CheckRewrites(spec[protocol]?["action"]?["rewrite"] as JsonObject, $"spec.{protocol}.action.rewrite", violations);
            if (spec[protocol]?["match"] is not JsonObject match)
            {
                continue;
            }

            var path = $"spec.{protocol}.match";
            if (protocol == "grpcRoute")
            {
                if (match["serviceName"]?.GetValue<string>() is { } service && service.StartsWith("aws.appmesh", StringComparison.Ordinal))
                {
                    violations.Add(new Violation($"{path}.serviceName", "service names starting with 'aws.appmesh' are reserved"));
                }
            }
            else
            {
                CheckHttpPathMatch(match, path, violations, gateway: true);
            }

            if (match["hostname"] is JsonObject hostname && hostname.Count != 1)
            {
                violations.Add(new Violation($"{path}.hostname", "must set exactly one of exact, suffix"));
            }

            // Envoy takes any text to compare :authority with, but answers a request whose host holds a space or a
            // control character with 400 itself: such a match would never hold.
            foreach (var member in (string[])["exact", "suffix"])
            {
                if (match["hostname"]?[member]?.GetValue<string>() is { } name && HttpText.HasSpaceOrControl(name))
                {
                    violations.Add(new Violation($"{path}.hostname.{member}", "must not contain spaces or control characters: it is compared with the request's host, which never holds them"));
                }
            }

            CheckRegexes(match, path, violations);
            CheckMatchNames(match, path, violations);
        }
    }

    /// <summary>
    /// A rewritten prefix or path becomes the request's path: Envoy refuses a NUL, CR or LF in it (its route action's
    /// prefix_rewrite, or a regex rewrite's substitution), and with it the gateway's whole route configuration; it
    /// takes a space or another control character, and sends a request line the service cannot parse; and one that
    /// does not start with '/' would send a request target that is no path at all.
    /// </summary>
    private static void CheckRewrites(JsonObject? rewrite, string path, List<Violation> violations)
    {
        foreach (var (value, member) in new[] { (rewrite?["prefix"]?["value"]?.GetValue<string>(), "prefix.value"), (rewrite?["path"]?["exact"]?.GetValue<string>(), "path.exact") })
        {
            if (value is null)
            {
                continue;
            }

            if (HttpText.HasSpaceOrControl(value))
            {
                violations.Add(new Violation($"{path}.{member}", "must not contain spaces or control characters: it becomes the request's path"));
            }

            if (!value.StartsWith('/'))
            {
                violations.Add(new Violation($"{path}.{member}", $"must start with '/', got \"{value}\": it becomes the start of the request's path"));
            }
        }
    }

    /// <summary>
    /// A route's HTTP match names its path by prefix or path. A gateway route's may instead match on the hostname alone
    /// (App Mesh made its prefix optional when it added hostname matching; every path is matched then); it may not use
    /// the paths App Mesh reserves.
    /// </summary>
    private static void CheckHttpPathMatch(JsonObject match, string path, List<Violation> violations, bool gateway)
    {
        var prefix = match["prefix"]?.GetValue<string>();
        var pathMatch = match["path"] as JsonObject;
        if (prefix is null && pathMatch is null && !(gateway && match["hostname"] is not null))
        {
            violations.Add(new Violation(path, gateway ? "must set at least one of prefix, path, hostname" : "must set either prefix or path"));
        }
        else if (prefix is not null && pathMatch is not null)
        {
            violations.Add(new Violation(path, "must set only one of prefix and path"));
        }

        if (prefix is not null && !prefix.StartsWith('/'))
        {
            violations.Add(new Violation($"{path}.prefix", $"must start with '/', got \"{prefix}\""));
        }

        if (pathMatch is not null && pathMatch.Count != 1)
        {
            violations.Add(new Violation($"{path}.path", "must set exactly one of exact, regex"));
        }

        if (pathMatch?["exact"]?.GetValue<string>() is { } exact && !exact.StartsWith('/'))
        {
            violations.Add(new Violation($"{path}.path.exact", $"must start with '/', got \"{exact}\""));
        }

        // No request's path holds a space or control character, so such a match never holds; and a gateway rewriting
        // into a router's route sends the route's prefix or path on as its rewrite, which Envoy refuses with a CR or
        // LF in it, with the gateway's whole route configuration.
        foreach (var (value, member) in new[] { (prefix, "prefix"), (pathMatch?["exact"]?.GetValue<string>(), "path.exact") })
        {
            if (value is not null && HttpText.HasSpaceOrControl(value))
            {
                violations.Add(new Violation($"{path}.{member}", "must not contain spaces or control characters: it is compared with the request's path, which never holds them"));
            }
        }

        if (gateway)
        {
            foreach (var (value, member) in new[] { (prefix, "prefix"), (pathMatch?["exact"]?.GetValue<string>(), "path.exact") })
            {
                if (value is not null && ReservedPrefixes.Any(r => value.StartsWith(r, StringComparison.OrdinalIgnoreCase)))
                {
                    violations.Add(new Violation($"{path}.{member}", "paths starting with /aws-appmesh or /aws-app-mesh are reserved"));
                }
            }
        }
    }

    /// <summary>Every regex of a match (its path's, its headers' or gRPC metadata's) must be one Envoy's RE2 compiles (<see cref="Re2Patterns"/>).</summary>
    private static void CheckRegexes(JsonObject match, string path, List<Violation> violations)
    {
        if (match["path"]?["regex"]?.GetValue<string>() is { } pathRegex && Re2Patterns.Problem(pathRegex) is { } pathProblem)
        {
            violations.Add(new Violation($"{path}.path.regex", pathProblem));
        }

        foreach (var list in (string[])["headers", "metadata"])
        {
            if (match[list] is not JsonArray items)
            {
                continue;
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (items[i]?["match"]?["regex"]?.GetValue<string>() is { } regex && Re2Patterns.Problem(regex) is { } problem)
                {
                    violations.Add(new Violation($"{path}.{list}[{i}].match.regex", problem));
                }
            }
        }
    }

    /// <summary>
    /// The names a match compares must be names Envoy takes: a query parameter's not empty and of at most 1,024 bytes,
    /// a header's or gRPC metadata's without NUL, CR or LF; the model allows all of these, and Envoy refuses the whole
    /// route configuration for any. A header's or metadata's must moreover be an HTTP header name
    /// (<see cref="HttpText.IsHeaderName"/>): Envoy takes one with a space or a non-ASCII letter, whose match then
    /// never holds (and an inverted one always does), as no request carries such a header.
    /// </summary>
    private static void CheckMatchNames(JsonObject match, string path, List<Violation> violations)
    {
        foreach (var list in (string[])["headers", "metadata"])
        {
            if (match[list] is JsonArray items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i]?["name"]?.GetValue<string>() is { } name && !HttpText.IsHeaderName(name))
                    {
                        violations.Add(new Violation($"{path}.{list}[{i}].name",
                            "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, after one ':' for a pseudo-header such as :authority): a request carries no other"));
                    }

                    // A range is [start, end): gRPC C-core refuses the whole route configuration when end is below start.
                    if (items[i]?["match"]?["range"] is JsonObject range
                        && range["start"]?.GetValue<long>() is { } start && range["end"]?.GetValue<long>() is { } end && end < start)
                    {
                        violations.Add(new Violation($"{path}.{list}[{i}].match.range", $"end ({end}) must not be below start ({start}); the range is [start, end)"));
                    }
                }
            }
        }

        if (match["queryParameters"] is JsonArray parameters)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var name = parameters[i]?["name"]?.GetValue<string>();
                if (name is "")
                {
                    violations.Add(new Violation($"{path}.queryParameters[{i}].name", "must not be empty"));
                }
                else if (name is not null && HttpText.QueryParameterNameBytes(name) is var bytes and > HttpText.MaxQueryParameterNameBytes)
                {
                    violations.Add(new Violation($"{path}.queryParameters[{i}].name",
                        $"must be at most {HttpText.MaxQueryParameterNameBytes} bytes, got {bytes}: Envoy takes no longer query parameter name"));
                }
            }
        }
    }

    /// <summary>
    /// A DNS hostname is resolved by every proxy that calls the node and sent as its health checks' Host and its TLS
    /// server name: a space or control character can never resolve, a control character in a Host has Envoy reject
    /// the whole cluster update (a NACK for every caller), and so does a server name of more than 255 bytes, which no
    /// DNS name is (<see cref="DnsHostnames"/>). An empty one stays allowed, as the model allows it; the translation
    /// warns that it cannot be reached.
    /// </summary>
    private static void CheckDnsHostname(string? hostname, List<Violation> violations)
    {
        if (hostname is not null && HttpText.HasSpaceOrControl(hostname))
        {
            violations.Add(new Violation("spec.serviceDiscovery.dns.hostname", "must not contain spaces or control characters: it is resolved as a DNS name and sent as a Host header"));
        }
        else if (hostname is not null && Encoding.UTF8.GetByteCount(hostname) is var bytes and > DnsHostnames.MaxBytes)
        {
            violations.Add(new Violation("spec.serviceDiscovery.dns.hostname",
                $"must be at most {DnsHostnames.MaxBytes} bytes, got {bytes}: no DNS name is longer, and Envoy refuses a longer TLS server name"));
        }
    }

    /// <summary>
    /// Values anywhere in a spec that the model allows and Envoy refuses, with the whole response that carries them: a
    /// duration (a timeout, a retry's or outlier detection's time) longer than Envoy's longest, the model bounding it
    /// only below; and an SDS secret's empty name (a listener's certificate or a client's trust), by which Envoy
    /// fetches the secret; and an ACM certificate's or certificate authority's ARN that is not one, which names the SDS
    /// secret the proxy waits for (an empty name is refused by Envoy).
    /// </summary>
    private static void CheckEnvoyLimits(JsonNode? node, string path, List<Violation> violations)
    {
        switch (node)
        {
            case JsonObject sds when path.EndsWith(".sds", StringComparison.Ordinal) && sds["secretName"] is JsonValue secret
                && secret.TryGetValue<string>(out var secretName) && secretName.Length == 0:
                violations.Add(new Violation($"{path}.secretName", "must not be empty: Envoy fetches the secret by this name"));
                break;

            case JsonObject acm when path.EndsWith(".acm", StringComparison.Ordinal):
                CheckAcmArns(acm, path, violations);
                break;

            case JsonObject duration when duration["value"] is JsonValue value && value.TryGetValue<long>(out var amount)
                && duration.All(m => m.Key is "unit" or "value"):
            {
                var milliseconds = duration["unit"]?.GetValue<string>() == "ms";
                if (amount > (milliseconds ? Specs.Duration.MaxSeconds * 1000 : Specs.Duration.MaxSeconds))
                {
                    violations.Add(new Violation($"{path}.value", milliseconds
                        ? $"must be at most {Specs.Duration.MaxSeconds * 1000} ms (10,000 years, the longest duration Envoy takes), got {amount}"
                        : $"must be at most {Specs.Duration.MaxSeconds} s (10,000 years, the longest duration Envoy takes), got {amount}"));
                }

                break;
            }

            case JsonObject obj:
                foreach (var (name, member) in obj)
                {
                    CheckEnvoyLimits(member, $"{path}.{name}", violations);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckEnvoyLimits(array[i], $"{path}[{i}]", violations);
                }

                break;
        }
    }

    /// <summary>
    /// An ACM certificate (<c>certificateArn</c>) or ACM Private CA trust (<c>certificateAuthorityArns</c>) must be named
    /// by an ARN of its service, as App Mesh required: <c>arn:partition:acm:region:account:certificate/id</c> or
    /// <c>arn:partition:acm-pca:region:account:certificate-authority/id</c>.
    /// </summary>
    private static void CheckAcmArns(JsonObject acm, string path, List<Violation> violations)
    {
        if (acm["certificateArn"] is JsonValue certificate && certificate.TryGetValue<string>(out var arn) && !IsArnOf("acm", "certificate/", arn))
        {
            violations.Add(new Violation($"{path}.certificateArn",
                $"must be an ACM certificate's ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got \"{arn}\""));
        }

        if (acm["certificateAuthorityArns"] is JsonArray authorities)
        {
            for (var i = 0; i < authorities.Count; i++)
            {
                if (authorities[i] is JsonValue authority && authority.TryGetValue<string>(out var authorityArn) && !IsArnOf("acm-pca", "certificate-authority/", authorityArn))
                {
                    violations.Add(new Violation($"{path}.certificateAuthorityArns[{i}]",
                        $"must be an ACM Private CA's ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>), got \"{authorityArn}\""));
                }
            }
        }
    }

    private static bool IsArnOf(string service, string resourcePrefix, string text) =>
        Arn.TryParse(text, out var parsed) && parsed.Value is var arn
        && arn.Service == service && arn.Region.Length > 0 && arn.AccountId.Length > 0
        && arn.Resource.StartsWith(resourcePrefix, StringComparison.Ordinal) && arn.Resource.Length > resourcePrefix.Length
        && !HttpText.HasNulCrOrLf(text);

    private static void CheckExactlyOneProtocol(JsonObject spec, string[] protocols, List<Violation> violations)
    {
        var set = protocols.Where(p => spec[p] is not null).ToList();
        if (set.Count != 1)
        {
            violations.Add(new Violation("spec", set.Count == 0
                ? $"must set exactly one of {string.Join(", ", protocols)}, but sets none"
                : $"must set exactly one of {string.Join(", ", protocols)}, but sets {string.Join(" and ", set)}"));
        }
    }
}
