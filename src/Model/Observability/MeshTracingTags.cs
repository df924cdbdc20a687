using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Mesh.Model.Observability;

/// <summary>
/// Tracing settings carried as tags on the mesh resource. App Mesh's API has no tracing field (its proxies took
/// tracing from environment variables), and tags reach us through every unmodified client:
/// <c>aws appmesh tag-resource --resource-arn &lt;mesh arn&gt; --tags key=mesh.tracing/provider,value=zipkin</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>mesh.tracing/provider</c>: <c>zipkin</c>, <c>jaeger</c>, <c>opentelemetry</c> (or <c>otel</c>), <c>datadog</c>
/// or <c>xray</c>. Without it the mesh sets no tracer and the other keys are inert, so they can be written in any order.</item>
/// <item><c>mesh.tracing/endpoint</c>: the collector's <c>host:port</c> (<c>[v6]:port</c>); by default the local agent
/// App Mesh's image assumed (<see cref="DefaultCollector"/>). X-Ray's daemon address must be an IP: Envoy never
/// resolves it.</item>
/// <item><c>mesh.tracing/sampling</c>: the percentage of requests that start a trace, 0–100; by default 100 (Envoy's
/// default, what App Mesh's <c>tracing: {}</c> gave), and X-Ray's own rule (1 a second plus 5%) for X-Ray.</item>
/// </list>
/// Any other key under <c>mesh.tracing/</c> is a mistake worth reporting (a misspelt key would otherwise be
/// silently ignored). Every problem is reported, not just the first.
/// </remarks>
public static partial class MeshTracingTags
{
    public const string Prefix = "mesh.tracing/";
    public const string ProviderKey = Prefix + "provider";
    public const string EndpointKey = Prefix + "endpoint";
    public const string SamplingKey = Prefix + "sampling";

    public static bool IsTracingKey(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The tracing a set of tags asks for (null when none, or when any tracing tag is unusable) and every problem.</summary>
    public static (MeshTracing? Tracing, IReadOnlyList<TracingTagProblem> Problems) Parse(IEnumerable<ResourceTag> tags)
    {
        var problems = new List<TracingTagProblem>();
        TracingProvider? provider = null;
        TracingCollector? collector = null;
        double? sampling = null;
        foreach (var tag in tags.Where(t => IsTracingKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            switch (tag.Key)
            {
                case ProviderKey:
                    provider = ParseProvider(tag.Value);
                    if (provider is null)
                    {
                        problems.Add(new(tag.Key, $"'{tag.Value}' is not a tracing provider; use zipkin, jaeger, opentelemetry, datadog or xray"));
                    }

                    break;
                case EndpointKey:
                    collector = ParseEndpoint(tag.Value);
                    if (collector is null)
                    {
                        problems.Add(new(tag.Key, $"'{tag.Value}' is not host:port (a DNS name or IP address, and a port from 1 to 65535)"));
                    }

                    break;
                case SamplingKey:
                    sampling = ParseSampling(tag.Value);
                    if (sampling is null)
                    {
                        problems.Add(new(tag.Key, $"'{tag.Value}' is not a percentage from 0 to 100 (e.g. 100, 5 or 0.5)"));
                    }

                    break;
                default:
                    problems.Add(new(tag.Key, $"no such tracing setting (the settings are {ProviderKey}, {EndpointKey} and {SamplingKey})"));
                    break;
            }
        }

        if (provider == TracingProvider.XRay && collector is { IsIpAddress: false })
        {
            problems.Add(new(EndpointKey, $"the X-Ray daemon address must be an IP address (Envoy does not resolve it), not '{collector.Host}'"));
        }

        var tracing = provider is { } p && problems.Count == 0
            ? new MeshTracing(p, collector ?? DefaultCollector(p), sampling)
            : null;
        return (tracing, problems);
    }

    /// <summary>
    /// Where App Mesh's image sent spans when told nothing else: an agent beside the proxy (X-Ray daemon on 2000,
    /// Datadog agent on 8126, Jaeger's Zipkin port 9411), and the OTLP/gRPC port 4317 for OpenTelemetry.
    /// </summary>
    public static TracingCollector DefaultCollector(TracingProvider provider) => provider switch
    {
        TracingProvider.Zipkin or TracingProvider.Jaeger => new("127.0.0.1", 9411),
        TracingProvider.OpenTelemetry => new("127.0.0.1", 4317),
        TracingProvider.Datadog => new("127.0.0.1", 8126),
        TracingProvider.XRay => new("127.0.0.1", 2000),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    private static TracingProvider? ParseProvider(string value) => value.ToLowerInvariant() switch
    {
        "zipkin" => TracingProvider.Zipkin,
        "jaeger" => TracingProvider.Jaeger,
        "opentelemetry" or "otel" => TracingProvider.OpenTelemetry,
        "datadog" => TracingProvider.Datadog,
        "xray" => TracingProvider.XRay,
        _ => null,
    };

    private static TracingCollector? ParseEndpoint(string value)
    {
        string host;
        string port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                return null;
            }

            host = value[1..close];
            port = value[(close + 2)..];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return null;
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0)
            {
                return null;
            }

            host = value[..colon];
            port = value[(colon + 1)..];
            // Digits and dots only must be a whole IPv4 address: IPAddress would read "10.1" as 10.0.0.1, and a
            // resolver might read "10.0.0.300" as a name.
            var valid = DigitsAndDots().IsMatch(host) ? Ipv4().IsMatch(host) && IPAddress.TryParse(host, out _) : DnsName().IsMatch(host);
            if (!valid)
            {
                return null;
            }
        }

        return PortNumber().IsMatch(port) && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535 and var number
            ? new TracingCollector(host, number)
            : null;
    }

    private static double? ParseSampling(string value) =>
        Percentage().IsMatch(value) && double.Parse(value, CultureInfo.InvariantCulture) is <= 100 and var percent ? percent : null;

    [GeneratedRegex("^[0-9.]+\\z")]
    private static partial Regex DigitsAndDots();

    [GeneratedRegex("^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\\z")]
    private static partial Regex Ipv4();

    /// <summary>RFC 1123 host names: labels of letters, digits and inner hyphens, at most 253 characters, optionally rooted.</summary>
    [GeneratedRegex("^(?=.{1,254}\\z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?\\z")]
    private static partial Regex DnsName();

    [GeneratedRegex("^[0-9]{1,5}\\z")]
    private static partial Regex PortNumber();

    [GeneratedRegex("^[0-9]{1,3}(\\.[0-9]{1,6})?\\z")]
    private static partial Regex Percentage();
}
