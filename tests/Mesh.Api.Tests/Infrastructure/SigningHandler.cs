using Mesh.Security;
using Mesh.Api.Security;

namespace Mesh.Api.Tests.Infrastructure;

/// <summary>
/// Signs test requests with SigV4 as the AWS SDKs do. It shares the canonicalisation code with the
/// server, so it is not an independent check of it: that is what the botocore, CLI and JS SDK suites are for.
/// </summary>
public sealed class SigningHandler(string accessKeyId, string secret, string region, string service = "appmesh") : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        SigV4Signer.Sign(request, body, accessKeyId, secret, region, service, DateTimeOffset.UtcNow);
        return await base.SendAsync(request, cancellationToken);
    }
}
