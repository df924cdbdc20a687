using System.Text.Json.Nodes;
using Mesh.Model.Resources;

namespace Mesh.Model.Tests.Resources;

public sealed class SpecRulesTests
{
    [Theory]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":0}]}}}""", "weights must add up to between 1 and 100")]
    [InlineData("route", """{"httpRoute":{"match":{},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match: must set either prefix or path")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"api"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.prefix: must start with '/'")]
    [InlineData("route", """{}""", "spec: must set exactly one of httpRoute, http2Route, grpcRoute, tcpRoute, but sets none")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"headers":[{"name":"x"}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.http2Route.match: must set at least one of prefix, path, hostname")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/aws-appmesh/x"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "are reserved")]
    [InlineData("gatewayRoute", """{"grpcRoute":{"match":{"serviceName":"aws.appmesh.Foo"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "service names starting with 'aws.appmesh' are reserved")]
    [InlineData("virtualGateway", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"connectionPool":{"grpc":{"maxRequests":1}}}]}""", "is for protocol grpc, but the listener's protocol is http")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"timeout":{"http":{"idle":{"unit":"s","value":315576000001}}}}]}""", "spec.listeners[0].timeout.http.idle.value: must be at most 315576000000 s (10,000 years, the longest duration Envoy takes), got 315576000001")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]},"retryPolicy":{"maxRetries":1,"perRetryTimeout":{"unit":"ms","value":9223372036854775807},"httpRetryEvents":["server-error"]}}}""", "spec.httpRoute.retryPolicy.perRetryTimeout.value: must be at most 315576000000000 ms")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"x-ok"},{"name":"x-a\r\nx-b"}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.headers[1].name: must be an HTTP header name")]
    [InlineData("route", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"a\u0000b"}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.grpcRoute.match.metadata[0].name: must be an HTTP header name")]
    [InlineData("route", """{"http2Route":{"match":{"prefix":"/","queryParameters":[{"name":""}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.http2Route.match.queryParameters[0].name: must not be empty")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/","queryParameters":[{"name":"q"},{"name":""}],"headers":[{"name":"a\nb"}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.queryParameters[1].name: must not be empty")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"a\nb"}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.headers[0].name: must be an HTTP header name")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping\r\nX: y","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}]}""", "spec.listeners[0].healthCheck.path: must not contain spaces or control characters")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/ping\u0001","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}]}""", "spec.listeners[0].healthCheck.path: must not contain spaces or control characters: it is sent as a request's path")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"healthCheck":{"protocol":"http2","path":"/ping me","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}]}""", "spec.listeners[0].healthCheck.path: must not contain spaces or control characters")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"outlierDetection":{"maxServerErrors":5,"maxEjectionPercent":50,"interval":{"unit":"s","value":0},"baseEjectionDuration":{"unit":"s","value":30}}}]}""", "spec.listeners[0].outlierDetection.interval.value: must be above 0")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"outlierDetection":{"maxServerErrors":5,"maxEjectionPercent":50,"interval":{"unit":"s","value":10},"baseEjectionDuration":{"unit":"ms","value":0}}}]}""", "spec.listeners[0].outlierDetection.baseEjectionDuration.value: must be above 0")]
    [InlineData("virtualGateway", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"tls":{"mode":"STRICT","certificate":{"sds":{"secretName":""}}}}]}""", "spec.listeners[0].tls.certificate.sds.secretName: must not be empty")]
    [InlineData("virtualNode", """{"backends":[{"virtualService":{"virtualServiceName":"s","clientPolicy":{"tls":{"validation":{"trust":{"sds":{"secretName":""}}}}}}}]}""", "spec.backends[0].virtualService.clientPolicy.tls.validation.trust.sds.secretName: must not be empty")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/a/"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"prefix":{"value":"/b/\r\nX: y/"}}}}}""", "spec.httpRoute.action.rewrite.prefix.value: must not contain spaces or control characters")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"path":{"exact":"/a"}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"path":{"exact":"/b\u0000"}}}}}""", "spec.http2Route.action.rewrite.path.exact: must not contain spaces or control characters")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/a/"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"prefix":{"value":"v2/"}}}}}""", "spec.httpRoute.action.rewrite.prefix.value: must start with '/', got \"v2/\"")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"path":{"exact":"/a"}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"path":{"exact":"b"}}}}}""", "spec.http2Route.action.rewrite.path.exact: must start with '/', got \"b\"")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"healthCheck":{"protocol":"grpc","healthyThreshold":2,"unhealthyThreshold":2,"intervalMillis":5000,"timeoutMillis":2000}}]}""", "spec.listeners[0].healthCheck.protocol: grpc needs a listener that speaks HTTP/2 (protocol http2 or grpc), and this listener's protocol is http")]
    [InlineData("virtualNode", """{"backends":[{"virtualService":{"virtualServiceName":"b.local"}},{"virtualService":{"virtualServiceName":"c.local"}},{"virtualService":{"virtualServiceName":"b.local","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}}]}""", "spec.backends[2].virtualService: virtualService 'b.local' is already spec.backends[0] with another clientPolicy; list each backend once")]
    [InlineData("route", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"shard","match":{"range":{"start":10,"end":5}}}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.grpcRoute.match.metadata[0].match.range: end (5) must not be below start (10); the range is [start, end)")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"v","match":{"range":{"start":2,"end":1}}}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.headers[0].match.range: end (1) must not be below start (2)")]
    [InlineData("virtualNode", """{"logging":{"accessLog":{"file":{"path":"/dev/stdout","format":{"text":"%START_TIME% 50%"}}}}}""", "spec.logging.accessLog.file.format.text: has a '%' at index 15")]
    [InlineData("virtualGateway", """{"listeners":[{"portMapping":{"port":8443,"protocol":"grpc"},"tls":{"mode":"PERMISSIVE","certificate":{"acm":{"certificateArn":""}}}}]}""", "spec.listeners[0].tls.certificate.acm.certificateArn: must be an ACM certificate's ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got \"\"")]
    [InlineData("virtualNode", """{"listeners":[{"portMapping":{"port":8443,"protocol":"http"},"tls":{"mode":"STRICT","certificate":{"acm":{"certificateArn":"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"}}}}]}""", "spec.listeners[0].tls.certificate.acm.certificateArn: must be an ACM certificate's ARN")]
    [InlineData("virtualNode", """{"backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"acm":{"certificateAuthorityArns":["arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x","ca"]}}}}}}}""", "spec.backendDefaults.clientPolicy.tls.validation.trust.acm.certificateAuthorityArns[1]: must be an ACM Private CA's ARN")]
    [InlineData("virtualNode", """{"serviceDiscovery":{"dns":{"hostname":"web.local\r\nX-Injected: 1"}}}""", "spec.serviceDiscovery.dns.hostname: must not contain spaces or control characters")]
    [InlineData("virtualNode", """{"serviceDiscovery":{"dns":{"hostname":"web local"}}}""", "spec.serviceDiscovery.dns.hostname: must not contain spaces or control characters")]
    [InlineData("virtualNode", """{"serviceDiscovery":{"dns":{"hostname":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"}}}""", "spec.serviceDiscovery.dns.hostname: must be at most 255 bytes, got 263")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/","queryParameters":[{"name":"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.queryParameters[0].name: must be at most 1024 bytes, got 1025")]
    [InlineData("route", """{"http2Route":{"match":{"prefix":"/","headers":[{"name":"x-color"},{"name":"x color","invert":true}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.http2Route.match.headers[1].name: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, after one ':' for a pseudo-header such as :authority): a request carries no other")]
    [InlineData("gatewayRoute", """{"grpcRoute":{"match":{"serviceName":"s","metadata":[{"name":"tenant-\u00e9"}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.grpcRoute.match.metadata[0].name: must be an HTTP header name")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":":"}]},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.headers[0].name: must be an HTTP header name")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/","headers":[{"name":"x-a:b"}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.headers[0].name: must be an HTTP header name")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/a/"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"prefix":{"value":"/b c/"}}}}}""", "spec.httpRoute.action.rewrite.prefix.value: must not contain spaces or control characters: it becomes the request's path")]
    [InlineData("gatewayRoute", """{"http2Route":{"match":{"path":{"exact":"/a"}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}},"rewrite":{"path":{"exact":"/b\u0001"}}}}}""", "spec.http2Route.action.rewrite.path.exact: must not contain spaces or control characters")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"hostname":{"exact":"www.example.com "}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.hostname.exact: must not contain spaces or control characters: it is compared with the request's host, which never holds them")]
    [InlineData("gatewayRoute", """{"grpcRoute":{"match":{"hostname":{"suffix":".example.com\r\n"}},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.grpcRoute.match.hostname.suffix: must not contain spaces or control characters")]
    [InlineData("route", """{"httpRoute":{"match":{"prefix":"/v2/a\r\nX: y"},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.httpRoute.match.prefix: must not contain spaces or control characters: it is compared with the request's path, which never holds them")]
    [InlineData("route", """{"http2Route":{"match":{"path":{"exact":"/a b"}},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""", "spec.http2Route.match.path.exact: must not contain spaces or control characters")]
    [InlineData("gatewayRoute", """{"httpRoute":{"match":{"prefix":"/a\t"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""", "spec.httpRoute.match.prefix: must not contain spaces or control characters")]
    public void Rules_ReportPathAndReason(string kind, string spec, string expected)
    {
        var violations = SpecRules.Check(ResourceKind.FromWireName(kind), JsonNode.Parse(spec)!.AsObject());
        Assert.Contains(violations, v => v.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("httpRoute")]
    [InlineData("http2Route")]
    public void AGatewayRouteMatchingOnlyTheHostname_IsAccepted(string protocol)
    {
        // App Mesh made the prefix optional when it added hostname matching; Terraform's aws_appmesh_gateway_route
        // sends exactly this for `match { hostname { exact = ... } }`.
        var spec = "{\"" + protocol + "\":{\"match\":{\"hostname\":{\"exact\":\"test.example.com\"}},\"action\":{\"target\":{\"virtualService\":{\"virtualServiceName\":\"s\"}}}}}";

        Assert.Empty(SpecRules.Check(ResourceKind.GatewayRoute, JsonNode.Parse(spec)!.AsObject()));
    }

    [Theory]
    [InlineData("X-Color")]
    [InlineData("x-amzn-trace-id")]
    [InlineData(":authority")]
    [InlineData("grpc-timeout")]
    [InlineData("!#$%&'*+-.^_`|~09az")]
    public void HttpHeaderNames_AreAcceptedInMatches(string name)
    {
        var spec = JsonNode.Parse("""{"httpRoute":{"match":{"prefix":"/","headers":[{}]},"action":{"weightedTargets":[{"virtualNode":"a","weight":1}]}}}""")!.AsObject();
        spec["httpRoute"]!["match"]!["headers"]![0]!["name"] = name;

        Assert.Empty(SpecRules.Check(ResourceKind.Route, spec));
    }

    [Fact]
    public void ABackendListedTwiceTheSameWay_IsAccepted()
    {
        var spec = """{"backends":[{"virtualService":{"virtualServiceName":"b.local","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}},{"virtualService":{"virtualServiceName":"b.local","clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}}]}""";

        Assert.Empty(SpecRules.Check(ResourceKind.VirtualNode, JsonNode.Parse(spec)!.AsObject()));
    }

    [Fact]
    public void AcmArnsOfTheirServices_AreAccepted()
    {
        var spec = """{"listeners":[{"portMapping":{"port":443,"protocol":"http"},"tls":{"mode":"STRICT","certificate":{"acm":{"certificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/abc"}}}}],"backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"acm":{"certificateAuthorityArns":["arn:aws-cn:acm-pca:cn-north-1:111122223333:certificate-authority/x"]}}}}}}}""";

        Assert.Empty(SpecRules.Check(ResourceKind.VirtualNode, JsonNode.Parse(spec)!.AsObject()));
    }

    [Fact]
    public void TheLongestDurationEnvoyTakes_IsAccepted()
    {
        var spec = """{"listeners":[{"portMapping":{"port":80,"protocol":"http"},"timeout":{"http":{"idle":{"unit":"s","value":315576000000},"perRequest":{"unit":"ms","value":315576000000000}}}}]}""";

        Assert.Empty(SpecRules.Check(ResourceKind.VirtualNode, JsonNode.Parse(spec)!.AsObject()));
    }

    [Theory]
    [InlineData("s", 9223372036854775807)]
    [InlineData("ms", 9223372036854775807)]
    [InlineData("s", 315576000001)]
    public void ADurationStoredBeforeTheLimit_IsReadAsTheLongestEnvoyTakes(string unit, long value)
    {
        // Read whole, it would overflow a TimeSpan (or Envoy's duration) and fail every proxy's translation that uses it.
        var duration = new Mesh.Model.Specs.Duration { Unit = unit == "ms" ? Mesh.Model.Specs.DurationUnit.Milliseconds : Mesh.Model.Specs.DurationUnit.Seconds, Value = value };

        Assert.Equal(TimeSpan.FromSeconds(Mesh.Model.Specs.Duration.MaxSeconds), duration.ToTimeSpan());
    }

    [Fact]
    public void References_AreTheResourcesASpecNeeds()
    {
        var route = JsonNode.Parse("""{"tcpRoute":{"action":{"weightedTargets":[{"virtualNode":"a","weight":50},{"virtualNode":"b","weight":50}]}}}""")!.AsObject();
        Assert.Equal(["virtualNode/a", "virtualNode/b"], SpecReferences.Of(ResourceKind.Route, route).Select(r => r.Key));

        var node = JsonNode.Parse("""{"backends":[{"virtualService":{"virtualServiceName":"later.local"}}]}""")!.AsObject();
        Assert.Empty(SpecReferences.Of(ResourceKind.VirtualNode, node));
    }
}
