using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Reads a Cloud Map request body and checks it against the operation's input shape in the Cloud Map model:
/// every violation is named by its JSON path in one InvalidInput, and members the model does not name are dropped.
/// </summary>
public sealed class CloudMapBinder
{
    private static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = 64 };
    private readonly ShapeValidator validator = new(ServiceModel.CloudMap);

    public async Task<JsonObject> BindAsync(Operation operation, HttpContext context, CancellationToken cancellationToken)
    {
        JsonNode? body;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, cancellationToken);
            body = buffer.Length == 0 ? new JsonObject() : JsonNode.Parse(buffer.ToArray(), documentOptions: BodyOptions);
        }
        catch (JsonException e)
        {
            throw CloudMapErrors.InvalidInput($"The request body is not valid JSON: {e.Message}");
        }

        if (body is not JsonObject)
        {
            throw CloudMapErrors.InvalidInput($"The request body must be a JSON object holding the {operation.InputShape} members.");
        }

        var result = validator.Validate(operation.InputShape!, body);
        if (!result.IsValid)
        {
            throw CloudMapErrors.Invalid(result.Violations);
        }

        return (JsonObject)result.Value!;
    }
}
