using System.Text;
using System.Text.Json.Nodes;
using Mesh.Webhook.Hosting;
using Mesh.Webhook.Injection;
using Microsoft.Extensions.Options;

namespace Mesh.Webhook.Admission;

/// <summary>
/// Answers admission.k8s.io/v1 AdmissionReview requests for pods
/// (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request).
/// A pod with an invalid annotation is refused, with every bad annotation named in the message: admitting it
/// unchanged would start a workload outside the mesh that its owner asked to mesh, and that only shows up later as
/// traffic bypassing policy. (failurePolicy, in the MutatingWebhookConfiguration, is a different matter: it only says
/// what happens when the webhook cannot be reached.)
/// </summary>
public sealed partial class AdmissionHandler(IOptions<WebhookOptions> options, ILogger<AdmissionHandler> logger)
{
    public const string Path = "/mutate";

    public JsonObject Review(JsonNode review)
    {
        var request = review["request"] as JsonObject;
        var uid = request?["uid"]?.GetValue<string>() ?? "";
        if (request?["object"] is not JsonObject pod || request["kind"]?["kind"]?.GetValue<string>() != "Pod")
        {
            // Only pods are registered; anything else is let through untouched rather than blocked.
            return Response(uid, allowed: true);
        }

        var name = $"{request["namespace"]?.GetValue<string>()}/{pod["metadata"]?["name"]?.GetValue<string>() ?? pod["metadata"]?["generateName"]?.GetValue<string>()}";
        switch (PodReader.Decide(pod, options.Value))
        {
            case InjectionDecision.Leave leave:
                LogLeft(logger, name, leave.Reason);
                return Response(uid, allowed: true);
            case InjectionDecision.Refuse refuse:
                var message = "sidecar injection: " + string.Join("; ", refuse.Problems);
                LogRefused(logger, name, message);
                var refused = Response(uid, allowed: false);
                refused["response"]!["status"] = new JsonObject { ["code"] = 400, ["message"] = message };
                return refused;
            case InjectionDecision.Inject inject:
                var patch = PodPatch.Build(pod, inject.Request, options.Value);
                var patched = Response(uid, allowed: true);
                patched["response"]!["patchType"] = "JSONPatch";
                patched["response"]!["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
                if (inject.Request.Proxyless)
                {
                    LogInjectedBootstraps(logger, name, inject.Request.Resource.Value);
                    // Shown by kubectl: the webhook reads no spec, so a node whose TLS reaches gRPC needs the API's bootstrap.
                    var warnings = new JsonArray(ProxylessWarning);
                    if (inject.Request.IgnoredAnnotations.Count > 0)
                    {
                        warnings.Add(IgnoredOnProxyless(inject.Request.IgnoredAnnotations));
                    }

                    patched["response"]!["warnings"] = warnings;
                }
                else
                {
                    LogInjected(logger, name, inject.Request.Resource.Value);
                }

                return patched;
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    private static JsonObject Response(string uid, bool allowed) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["response"] = new JsonObject { ["uid"] = uid, ["allowed"] = allowed },
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Injected a proxy for {Node} into pod {Pod}")]
    private static partial void LogInjected(ILogger logger, string pod, string node);

    /// <summary>The admission warning a proxyless pod is admitted with.</summary>
    public const string ProxylessWarning =
        "mesh-proxy/proxyless: the injected gRPC bootstrap defines no certificate providers; if the virtual node's TLS is served to gRPC, "
        + "give the containers the bootstrap GET /envoy/bootstrap?grpc&node=... writes (GRPC_XDS_BOOTSTRAP), or gRPC refuses its TLS clusters and listeners";

    /// <summary>The admission warning naming the Envoy-only annotations a proxyless pod set.</summary>
    public static string IgnoredOnProxyless(IReadOnlyList<string> annotations) => annotations.Count == 1
        ? $"mesh-proxy/proxyless: {annotations[0]} configures the Envoy sidecar or its traffic redirection, which a proxyless pod does not get; it has no effect"
        : $"mesh-proxy/proxyless: {string.Join(", ", annotations)} configure the Envoy sidecar or its traffic redirection, which a proxyless pod does not get; they have no effect";

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Gave the proxyless gRPC containers of pod {Pod} the bootstrap of {Node}")]
    private static partial void LogInjectedBootstraps(ILogger logger, string pod, string node);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Left pod {Pod} unchanged: {Reason}")]
    private static partial void LogLeft(ILogger logger, string pod, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Refused pod {Pod}: {Message}")]
    private static partial void LogRefused(ILogger logger, string pod, string message);
}
