using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Reads a Cloud Map request body and checks it against the operation's input shape in the Cloud Map model:
/// every violation is named by its JSON path in one InvalidInput, and members the model does not name are dropped.
/// </summary>
public sealed class CloudMapBinder
{
    private readonly ShapeValidator validator = new(ServiceModel.CloudMap);

    public async Task<JsonObject> BindAsync(Operation operation, HttpContext context, CancellationToken cancellationToken)
    {
        BodyEncoding.EnsureUncompressed(context.Request);
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        JsonObject body;
        try
        {
            // The App Mesh API's reader: it also refuses what a plain parse lets through but cannot be read later (a
            // member named twice, invalid UTF-8, an unpaired surrogate), which would otherwise fail in the validator.
            body = buffer.Length == 0 ? new JsonObject() : RequestJson.ReadObject(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (AppMeshException unreadable) when (unreadable.Code == ErrorCode.BadRequest)
        {
            throw CloudMapErrors.InvalidInput(unreadable.Message.Replace(
                "must be a JSON object.", $"must be a JSON object holding the {operation.InputShape} members.", StringComparison.Ordinal));
        }

        var result = validator.Validate(operation.InputShape!, body);
        if (!result.IsValid)
        {
            throw CloudMapErrors.Invalid(result.Violations);
        }

        return (JsonObject)result.Value!;
    }
}
