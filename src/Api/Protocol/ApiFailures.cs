using Mesh.Api.Resources;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Mesh.Api.Protocol;

/// <summary>
/// The one place that decides which App Mesh error a failure is answered with, so the response, the metrics and
/// the audit log always agree.
/// </summary>
public static class ApiFailures
{
    /// <summary>How long a client should wait before retrying a ServiceUnavailableException, in seconds.</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>The error to answer <paramref name="error"/> with; null when the client went away and nobody is left to answer.</summary>
    public static AppMeshException? Answer(HttpContext context, Exception error)
    {
        switch (error)
        {
            case AppMeshException known:
                return known;
            case BadHttpRequestException bad:
                return AppMeshException.BadRequest(bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => $"The request body is larger than the {MaxBody(context)} bytes allowed.",
                    // Kestrel's own words name its setting (MinRequestBodyDataRate), which says nothing to a client.
                    StatusCodes.Status408RequestTimeout => $"The request body arrived too slowly ({MinBodyRate(context)}): "
                        + "send the whole body its Content-Length announces, or end a chunked body with its last chunk.",
                    _ => $"The request could not be read: {bad.Message}",
                });
            case OperationCanceledException when context.Features.Get<RequestDeadline>() is { Passed: true } deadline
                                                 && ChangesNothing(context.Request):
                // A read changed nothing, so there is nothing to say about being applied.
                return new AppMeshException(ErrorCode.ServiceUnavailable,
                    $"The request did not finish within {deadline.Timeout.TotalSeconds:0.#} s because the database did not answer in time. Retry it.");
            case OperationCanceledException when context.Features.Get<RequestDeadline>() is { Passed: true } deadline:
                return new AppMeshException(ErrorCode.ServiceUnavailable,
                    $"The request did not finish within {deadline.Timeout.TotalSeconds:0.#} s because the database is not answering; "
                    + "it may or may not have been applied. Retry it (a retry with the same clientToken is safe).");
            case OperationCanceledException:
                return null;
            case var _ when DatabaseFailures.IsUnavailable(error):
                return new AppMeshException(ErrorCode.ServiceUnavailable,
                    "The database is unavailable; the request may or may not have been applied. "
                    + "Retry it (a retry with the same clientToken is safe).");
            default:
                return new AppMeshException(ErrorCode.InternalServerError,
                    $"The request failed unexpectedly; request id {context.TraceIdentifier}.");
        }
    }

    /// <summary>
    /// Whether the request only reads: every App Mesh read and console read is a GET; Cloud Map's reads are POSTs named
    /// by their operation (Get*, List*, Discover*); STS serves only GetCallerIdentity; a console sign-in reads the access key and changes nothing stored.
    /// </summary>
    private static bool ChangesNothing(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        || (CloudMap.CloudMapRequest.Is(request) && CloudMap.CloudMapRequest.IsRead(CloudMap.CloudMapRequest.OperationName(request)))
        || Sts.StsRequest.Is(request)
        || (HttpMethods.IsPost(request.Method) && request.Path.Equals(WebConsole.ConsoleEndpoints.SessionPath, StringComparison.Ordinal));

    private static string MinBodyRate(HttpContext context) =>
        context.Features.Get<IHttpMinRequestBodyDataRateFeature>()?.MinDataRate is { } rate
            ? $"under {rate.BytesPerSecond:0} bytes a second after the first {rate.GracePeriod.TotalSeconds:0.#} s"
            : "it stopped arriving";

    private static string MaxBody(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize?.ToString() ?? "maximum";
}
