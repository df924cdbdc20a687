using System.Diagnostics;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Api.Security;
using Mesh.Model.Identity;

namespace Mesh.Api.Sts;

/// <summary>
/// STS GetCallerIdentity on the API port: who the signing key belongs to. The account is the key's (the one every
/// ARN it creates carries); the caller is named as an IAM user named after the access key id, since Mesh's keys are
/// not IAM users; with authentication off, as the account's root. Like AWS, it needs no permission. Other STS actions
/// are refused with InvalidAction: Mesh issues no temporary credentials.
/// </summary>
public static class StsEndpoints
{
    private static readonly ErrorCode InvalidAction = new("InvalidAction", 400);

    public static async Task HandleAsync(HttpContext context)
    {
        var metrics = context.RequestServices.GetRequiredService<ApiMetrics>();
        var started = Stopwatch.GetTimestamp();
        string? action = null;
        try
        {
            var form = await ReadFormAsync(context);
            action = form["Action"].ToString();
            if (action != StsRequest.GetCallerIdentity)
            {
                throw new AppMeshException(InvalidAction, action.Length == 0
                    ? "The form's Action is missing: this endpoint serves STS GetCallerIdentity only."
                    : $"Could not find operation '{Quoted(action)}' for version {StsRequest.Version}: this endpoint serves STS GetCallerIdentity only.");
            }

            if (form["Version"].ToString() is { Length: > 0 } version && version != StsRequest.Version)
            {
                throw new AppMeshException(InvalidAction, $"Could not find operation {action} for version {Quoted(version)}; STS's version is {StsRequest.Version}.");
            }

            var caller = Caller.Of(context);
            await WriteIdentityAsync(context, caller);
            metrics.Record(StsRequest.MetricAction(action), 200, "", Stopwatch.GetElapsedTime(started));
        }
        catch (Exception error) when (ApiFailures.Answer(context, error) is { } answer)
        {
            metrics.Record(StsRequest.MetricAction(action), answer.Code.StatusCode, answer.Code.Name, Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>The caller's text as quoted back: at most 64 characters of it (the form may hold a megabyte).</summary>
    private static string Quoted(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static async Task<IFormCollection> ReadFormAsync(HttpContext context)
    {
        try
        {
            return await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException error)
        {
            // A form the parser refuses (too many fields, a field too long): the caller's, not ours.
            throw AppMeshException.BadRequest($"The request's form could not be read: {error.Message}");
        }
    }

    private static async Task WriteIdentityAsync(HttpContext context, Caller caller)
    {
        var root = caller.AccessKeyId.Length == 0;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/xml";
        await using var writer = StsRequest.XmlWriterFor(context.Response.Body);
        await writer.WriteStartElementAsync(null, "GetCallerIdentityResponse", StsRequest.XmlNamespace);
        await writer.WriteStartElementAsync(null, "GetCallerIdentityResult", StsRequest.XmlNamespace);
        await writer.WriteElementStringAsync(null, "Arn", StsRequest.XmlNamespace,
            root ? $"arn:{Arn.DefaultPartition}:iam::{caller.AccountId}:root" : $"arn:{Arn.DefaultPartition}:iam::{caller.AccountId}:user/{caller.AccessKeyId}");
        await writer.WriteElementStringAsync(null, "UserId", StsRequest.XmlNamespace, root ? caller.AccountId : caller.AccessKeyId);
        await writer.WriteElementStringAsync(null, "Account", StsRequest.XmlNamespace, caller.AccountId);
        await writer.WriteEndElementAsync();
        await writer.WriteStartElementAsync(null, "ResponseMetadata", StsRequest.XmlNamespace);
        await writer.WriteElementStringAsync(null, "RequestId", StsRequest.XmlNamespace, context.TraceIdentifier);
        await writer.WriteEndElementAsync();
        await writer.WriteEndElementAsync();
        await writer.FlushAsync();
    }
}
