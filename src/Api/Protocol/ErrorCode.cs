namespace Mesh.Api.Protocol;

/// <summary>The App Mesh error shapes, with the HTTP status the model gives each.</summary>
public sealed record ErrorCode(string Name, int StatusCode)
{
    public static readonly ErrorCode BadRequest = new("BadRequestException", 400);
    public static readonly ErrorCode Conflict = new("ConflictException", 409);
    public static readonly ErrorCode Forbidden = new("ForbiddenException", 403);
    public static readonly ErrorCode InternalServerError = new("InternalServerErrorException", 500);
    public static readonly ErrorCode LimitExceeded = new("LimitExceededException", 400);
    public static readonly ErrorCode NotFound = new("NotFoundException", 404);
    public static readonly ErrorCode ResourceInUse = new("ResourceInUseException", 409);
    public static readonly ErrorCode ServiceUnavailable = new("ServiceUnavailableException", 503);
    public static readonly ErrorCode TooManyRequests = new("TooManyRequestsException", 429);
    public static readonly ErrorCode TooManyTags = new("TooManyTagsException", 400);

    /// <summary>Not an App Mesh shape: what AWS answers for a path or method no operation is bound to.</summary>
    public static readonly ErrorCode UnknownOperation = new("UnknownOperationException", 404);
}
