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

    /// <summary>The most violations one message lists; the rest are counted.</summary>
    public const int MaxListedViolations = 100;

    /// <summary>
    /// One BadRequest naming every violation, so a client fixes its request in one round trip. Past
    /// <see cref="MaxListedViolations"/> the rest are only counted: a request of 200,000 empty listeners would otherwise
    /// be answered with a message 16 times its own size.
    /// </summary>
    public static AppMeshException Invalid(IReadOnlyList<Violation> violations)
    {
        var noun = violations.Count == 1 ? "error" : "errors";
        var listed = string.Join("; ", violations.Take(MaxListedViolations));
        var more = violations.Count > MaxListedViolations ? $"; and {violations.Count - MaxListedViolations} more" : "";
        return BadRequest($"{violations.Count} validation {noun} detected: {listed}{more}");
    }
}
