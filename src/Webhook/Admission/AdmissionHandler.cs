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

    /// <summary>The answer to <paramref name="review"/>; a review that is not one throws <see cref="MalformedReviewException"/>.</summary>
    public JsonObject Review(JsonNode? review)
    {
        var (uid, request) = ReadRequest(review);
        if (request.Kind != "Pod" || request.Pod is not { } pod)
        {
            // Only pods are registered; anything else is let through untouched rather than blocked.
            return Response(uid, allowed: true);
        }

        if (request.Operation != "CREATE" || !string.IsNullOrEmpty(request.SubResource))
        {
            // Registered for CREATE only: a pod's containers cannot change once it exists, so a patch on any other
            // operation (or on a subresource, such as ephemeralcontainers) would only have the API server refuse it.
            return Response(uid, allowed: true);
        }

        var name = $"{request.Namespace}/{NameIn(pod, "name") ?? NameIn(pod, "generateName")}";
        InjectionDecision decision;
        JsonArray? patch = null;
        try
        {
            decision = PodReader.Decide(pod, options.Value);
            if (decision is InjectionDecision.Inject injecting)
            {
                patch = PodPatch.Build(pod, injecting.Request, options.Value);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A part of a hand-made pod that PodShape does not check (the API server sends pods as it decoded them):
            // refused with what System.Text.Json says is wrong, rather than answered 500.
            decision = new InjectionDecision.Refuse([$"the pod is not of the shape of a v1 Pod: {e.Message}"]);
        }

        switch (decision)
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
                var patched = Response(uid, allowed: true);
                patched["response"]!["patchType"] = "JSONPatch";
                patched["response"]!["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch!.ToJsonString()));
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

    private sealed record AdmissionRequest(string? Kind, string? Operation, string? SubResource, string? Namespace, JsonObject? Pod);

    private static (string Uid, AdmissionRequest Request) ReadRequest(JsonNode? review)
    {
        if (review is not JsonObject reviewObject || reviewObject["request"] is not JsonObject request)
        {
            throw new MalformedReviewException("not an AdmissionReview: it has no request object");
        }

        try
        {
            var uid = Text(request["uid"]) ?? throw new MalformedReviewException("not an AdmissionReview: request.uid is missing");
            return (uid, new AdmissionRequest(
                Text(request["kind"]?["kind"]), Text(request["operation"]), Text(request["subResource"]), Text(request["namespace"]),
                request["object"] as JsonObject));
        }
        catch (InvalidOperationException e)
        {
            throw new MalformedReviewException($"not an AdmissionReview: {e.Message}");
        }
    }

    private static string? Text(JsonNode? node) => node?.GetValue<string>();

    /// <summary>For the log only: read whatever the pod's shape, which PodReader checks.</summary>
    private static string? NameIn(JsonObject pod, string field) =>
        (pod["metadata"] as JsonObject)?[field] is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;

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
