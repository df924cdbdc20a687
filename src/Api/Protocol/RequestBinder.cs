using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>
/// Assembles an operation's input from where the model says each member travels (URI label, query
/// string or JSON body), then checks the whole input against the input shape.
/// </summary>
public sealed class RequestBinder(ServiceModel model, ShapeValidator validator)
{
    /// <summary>The largest request body accepted; the biggest legitimate App Mesh spec is a few KiB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = 64 };

    public async Task<JsonObject> BindAsync(Operation operation, HttpContext context, CancellationToken cancellationToken)
    {
        var shape = model.Shape(operation.InputShape!);
        var input = new JsonObject();
        var violations = new List<Violation>();
        JsonObject? body = null;

        foreach (var member in shape.Members)
        {
            switch (member.Location)
            {
                case MemberLocation.Uri:
                    if (context.Request.RouteValues.TryGetValue(member.LocationName, out var label) && label is string text)
                    {
                        input[member.Name] = Uri.UnescapeDataString(text);
                    }

                    break;
                case MemberLocation.QueryString:
                    BindQuery(context.Request.Query, member, model.Shape(member.ShapeName), input, violations);
                    break;
                case MemberLocation.Body:
                    body ??= await ReadBodyAsync(context.Request, cancellationToken);
                    if (body.TryGetPropertyValue(member.Name, out var value) && value is not null)
                    {
                        input[member.Name] = value.DeepClone();
                    }

                    break;
            }
        }

        if (violations.Count > 0)
        {
            throw AppMeshException.Invalid(violations);
        }

        var result = validator.Validate(shape.Name, input);
        if (!result.IsValid)
        {
            throw AppMeshException.Invalid(result.Violations);
        }

        return (JsonObject)result.Value!;
    }

    private static void BindQuery(IQueryCollection query, Member member, Shape shape, JsonObject input, List<Violation> violations)
    {
        if (!query.TryGetValue(member.LocationName, out var values))
        {
            return;
        }

        if (values.Count != 1)
        {
            violations.Add(new Violation(member.LocationName, "must be given at most once in the query string"));
            return;
        }

        var raw = values[0] ?? "";
        if (shape.Type is ShapeType.Integer or ShapeType.Long)
        {
            if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                input[member.Name] = number;
            }
            else
            {
                violations.Add(new Violation(member.LocationName, $"must be an integer, got \"{Printable(raw)}\""));
            }

            return;
        }

        input[member.Name] = raw;
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0)
        {
            return [];
        }

        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(buffer.ToArray(), documentOptions: BodyOptions);
        }
        catch (JsonException error)
        {
            var where = error.LineNumber is { } line
                ? $" at line {line + 1}, position {(error.BytePositionInLine ?? 0) + 1}"
                : "";
            throw AppMeshException.BadRequest($"The request body is not valid JSON{where}: {FirstSentence(error.Message)}");
        }

        return parsed as JsonObject
            ?? throw AppMeshException.BadRequest("The request body must be a JSON object.");
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(" Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message;
    }

    private static string Printable(string raw) =>
        new(raw.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
