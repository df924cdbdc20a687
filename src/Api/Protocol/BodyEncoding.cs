namespace Mesh.Api.Protocol;

/// <summary>
/// Refuses a request body sent with a Content-Encoding other than <c>identity</c>. Neither the App Mesh nor the Cloud
/// Map model has the requestCompression trait, so no SDK compresses these bodies (botocore and the AWS CLI send no
/// Content-Encoding at all); a compressed body read as JSON was refused for its first byte (<c>'0x1F'</c>), which
/// did not say why. The signature is checked over the bytes as sent before this runs, as SigV4 signs them.
/// </summary>
public static class BodyEncoding
{
    /// <summary>Throws the BadRequest (Cloud Map's InvalidInput) a body with a Content-Encoding gets; nothing for one without.</summary>
    public static void EnsureUncompressed(HttpRequest request)
    {
        var header = request.Headers.ContentEncoding;
        foreach (var value in header)
        {
            foreach (var range in (value ?? "").AsSpan().Split(','))
            {
                var coding = (value ?? "").AsSpan()[range].Trim(" \t");
                if (!coding.IsEmpty && !coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    throw AppMeshException.BadRequest(
                        $"Content-Encoding \"{RequestBinder.Printable(header.ToString())}\" is not supported; send the body uncompressed.");
                }
            }
        }
    }
}
