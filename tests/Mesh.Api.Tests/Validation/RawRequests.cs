using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Api.Tests.Validation;

/// <summary>
/// Requests for an operation's path as Kestrel and routing hand them to the binder, and the general binding they are
/// checked against, for the direct bindings' tests.
/// </summary>
internal static class RawRequests
{
    public const string Region = "us-east-1";
    public const string Account = "111122223333";

    public static readonly RequestBinder Binder = new(ServiceModel.AppMesh, new ShapeValidator(ServiceModel.AppMesh));

    /// <summary>
    /// The input <see cref="RequestBinder.BindAsync"/> binds for <paramref name="context"/>, or null when it or the
    /// handler's meshOwner check (another account's) refuses the call.
    /// </summary>
    public static async Task<JsonObject?> BoundForThisAccountAsync(Operation operation, HttpContext context)
    {
        JsonObject input;
        try
        {
            input = await Binder.BindAsync(operation, context, CancellationToken.None);
        }
        catch (AppMeshException)
        {
            return null;
        }

        return input["meshOwner"]?.GetValue<string>() is { } owner && owner != Account ? null : input;
    }

    internal static List<string> LabelsOf(Operation operation) =>
        operation.PathTemplate.Split('/').Where(s => s.StartsWith('{')).Select(s => s[1..^1]).ToList();

    /// <summary>
    /// A request as Kestrel and routing hand it over: the raw target as sent, and each route value percent-decoded
    /// except %2F (Kestrel decodes the path but leaves an encoded '/' as it is).
    /// </summary>
    internal static DefaultHttpContext Request(Operation operation, List<string> labels, IReadOnlyList<string> raw, string query)
    {
        var target = new StringBuilder();
        foreach (var segment in operation.PathTemplate.Split('/').Skip(1))
        {
            target.Append('/').Append(segment.StartsWith('{') ? raw[labels.IndexOf(segment[1..^1])] : segment);
        }

        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.QueryString = query.Length == 0 ? QueryString.Empty : new QueryString(query);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target + query;
        for (var l = 0; l < labels.Count; l++)
        {
            context.Request.RouteValues[labels[l]] = KestrelDecoded(raw[l]);
        }

        return context;
    }

    internal static string KestrelDecoded(string raw) =>
        string.Join("%2F", raw.Replace("%2f", "%2F", StringComparison.Ordinal).Split("%2F").Select(Decoded));

    internal static string Decoded(string part)
    {
        try
        {
            return Uri.UnescapeDataString(part);
        }
        catch (UriFormatException)
        {
            return part;
        }
    }
}
