using System.Text.Json;

namespace Mesh.Model.Wire;

/// <summary>One operation of the model with its HTTP binding.</summary>
public sealed record Operation(
    string Name,
    string HttpMethod,
    string RequestUri,
    int ResponseCode,
    string? InputShape,
    string? OutputShape,
    IReadOnlyList<string> Errors)
{
    /// <summary>The request URI without its query part, in ASP.NET route template form (labels are {name}).</summary>
    /// <remarks>Made once: the binder reads it for every label of every call, and splitting made an array and a string each time.</remarks>
    public string PathTemplate { get; } = RequestUri.Split('?')[0];

    internal static Operation Parse(string name, JsonElement element)
    {
        var http = element.GetProperty("http");
        return new Operation(
            name,
            http.GetProperty("method").GetString()!,
            http.GetProperty("requestUri").GetString()!,
            http.TryGetProperty("responseCode", out var code) ? code.GetInt32() : 200,
            element.TryGetProperty("input", out var input) ? input.GetProperty("shape").GetString() : null,
            element.TryGetProperty("output", out var output) ? output.GetProperty("shape").GetString() : null,
            element.TryGetProperty("errors", out var errors)
                ? errors.EnumerateArray().Select(e => e.GetProperty("shape").GetString()!).ToList()
                : []);
    }
}
