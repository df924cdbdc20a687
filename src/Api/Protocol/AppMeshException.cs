using Mesh.Model.Wire;

namespace Mesh.Api.Protocol;

/// <summary>An App Mesh error: it reaches the client as the code's status, x-amzn-ErrorType and {"message": ...}.</summary>
public sealed class AppMeshException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;

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
