using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.CloudMap;

/// <summary>
/// Cloud Map's errors, by the exception shapes of its model. awsJson1.1 answers every client error with 400 and
/// names it in <c>__type</c>; only the shape's name and members matter to the SDKs.
/// </summary>
public static class CloudMapErrors
{
    public static readonly ErrorCode InvalidInputCode = new("InvalidInput", 400);
    public static readonly ErrorCode UnknownOperationCode = new("UnknownOperationException", 400);

    public static AppMeshException InvalidInput(string message) => new(InvalidInputCode, message);

    public static AppMeshException Invalid(IReadOnlyList<Violation> violations)
    {
        var noun = violations.Count == 1 ? "error" : "errors";
        return InvalidInput($"{violations.Count} validation {noun} detected: {string.Join("; ", violations)}");
    }

    public static AppMeshException NamespaceNotFound(string id) => Error("NamespaceNotFound", $"Namespace {id} does not exist.");

    public static AppMeshException NamespaceNotFound(string arn, string whyNot) => Error("NamespaceNotFound", $"Namespace {arn} does not exist: {whyNot}.");

    public static AppMeshException NamespaceNameNotFound(string name) => Error("NamespaceNotFound", $"No namespace is named '{name}'.");

    public static AppMeshException NamespaceNameNotFound(string name, string ownerAccount, string callerAccount) => Error(
        "NamespaceNotFound",
        $"No namespace named '{name}' is owned by account {ownerAccount} (OwnerAccount): namespaces are not shared between accounts here, so OwnerAccount must be the caller's own, {callerAccount}.");

    public static AppMeshException ServiceNotFound(string id) => Error("ServiceNotFound", $"Service {id} does not exist.");

    public static AppMeshException ServiceNotFound(string arn, string whyNot) => Error("ServiceNotFound", $"Service {arn} does not exist: {whyNot}.");

    public static AppMeshException ServiceNameNotFound(string namespaceName, string name) =>
        Error("ServiceNotFound", $"Namespace '{namespaceName}' has no service named '{name}'.");

    public static AppMeshException InstanceNotFound(string serviceId, string instanceId) =>
        Error("InstanceNotFound", $"Service {serviceId} has no instance '{instanceId}'.");

    public static AppMeshException OperationNotFound(string id) => Error("OperationNotFound", $"Operation {id} does not exist.");

    public static AppMeshException OperationNotFound(string id, string ownerAccount, string callerAccount) => Error(
        "OperationNotFound",
        $"Operation {id} is not owned by account {ownerAccount} (OwnerAccount): namespaces are not shared between accounts here, so OwnerAccount must be the caller's own, {callerAccount}.");

    public static AppMeshException ResourceNotFound(string arn) =>
        Error("ResourceNotFoundException", $"No namespace or service has the ARN '{arn}'.");

    public static AppMeshException ResourceInUse(string message) => Error("ResourceInUse", message);

    public static AppMeshException ResourceLimitExceeded(string message) => Error("ResourceLimitExceeded", message);

    public static AppMeshException CustomHealthNotFound(string serviceId) =>
        Error("CustomHealthNotFound", $"Service {serviceId} has no HealthCheckCustomConfig, so its instances have no custom health status to update.");

    public static AppMeshException ServiceAttributesLimitExceeded(int limit, int count) =>
        Error("ServiceAttributesLimitExceededException", $"A service holds at most {limit} attributes; this update would leave {count}.");

    public static AppMeshException TooManyTags(string arn, int limit, int count) =>
        new(new ErrorCode("TooManyTagsException", 400), $"A resource holds at most {limit} tags; this request would leave {count} on {arn}.")
        {
            Fields = new Dictionary<string, string> { ["ResourceName"] = arn },
        };

    public static AppMeshException DuplicateRequest(string requestId, string operationId, string operationType) =>
        new(new ErrorCode("DuplicateRequest", 400),
            $"Request id '{requestId}' was already used for a different {operationType} request (operation {operationId}); use a new id for a new request.")
        {
            Fields = new Dictionary<string, string> { ["DuplicateOperationId"] = operationId },
        };

    public static AppMeshException NamespaceAlreadyExists(string name, string namespaceId, string? creatorRequestId) =>
        new(new ErrorCode("NamespaceAlreadyExists", 400), $"A namespace named '{name}' already exists ({namespaceId}).")
        {
            Fields = WithOptional(new Dictionary<string, string> { ["NamespaceId"] = namespaceId }, "CreatorRequestId", creatorRequestId),
        };

    public static AppMeshException ServiceAlreadyExists(string name, string namespaceId, string serviceId, string serviceArn, string? creatorRequestId) =>
        new(new ErrorCode("ServiceAlreadyExists", 400), $"Namespace {namespaceId} already has a service named '{name}' ({serviceId}).")
        {
            Fields = WithOptional(new Dictionary<string, string> { ["ServiceId"] = serviceId, ["ServiceArn"] = serviceArn }, "CreatorRequestId", creatorRequestId),
        };

    private static AppMeshException Error(string code, string message) => new(new ErrorCode(code, 400), message);

    private static Dictionary<string, string> WithOptional(Dictionary<string, string> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }

        return fields;
    }
}
