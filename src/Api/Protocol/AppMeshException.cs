using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>
/// An API error: it reaches the client as the code's status, x-amzn-ErrorType and {"message": ...}; a Cloud Map
/// error also carries <c>__type</c> and the exception shape's other members (<see cref="Fields"/>).
/// </summary>
public sealed class AppMeshException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;

    /// <summary>Members of the error shape besides the message, e.g. DuplicateOperationId of Cloud Map's DuplicateRequest.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

    public static AppMeshException BadRequest(string message) => new(ErrorCode.BadRequest, message);

    public static AppMeshException NotFound(string message) => new(ErrorCode.NotFound, message);

    public static AppMeshException Conflict(string message) => new(ErrorCode.Conflict, message);

    public static AppMeshException ResourceInUse(string message) => new(ErrorCode.ResourceInUse, message);

    public static AppMeshException LimitExceeded(string message) => new(ErrorCode.LimitExceeded, message);

    /// <summary>One BadRequest naming every violation, so a client fixes its request in one round trip.</summary>
    public static AppMeshException Invalid(IReadOnlyList<Violation> violations)
    {
        var noun = violations.Count == 1 ? "error" : "errors";
        return BadRequest($"{violations.Count} validation {noun} detected: {string.Join("; ", violations)}");
    }
}
