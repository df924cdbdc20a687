using System.Buffers;

namespace Mesh.Api.Protocol;

/// <summary>
/// A request's body, read once into a pooled array: SigV4 hashes these bytes and the binder parses them, where the
/// body was buffered by ASP.NET Core (a 64 KiB rented buffer and a file-backed stream), hashed incrementally, rewound,
/// copied into a MemoryStream and copied again into an array. Kept as a feature of the request; its array goes back to
/// the pool when the response is done (<see cref="HttpResponse.RegisterForDispose"/>).
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? rented;
    private int length;

    private RequestBody(byte[] rented, int length)
    {
        this.rented = rented;
        this.length = length;
    }

    /// <summary>The body's bytes; valid until the response is done.</summary>
    public ReadOnlySpan<byte> Span => rented.AsSpan(0, length);

    public int Length => length;

    /// <summary>The body read before (by SigV4), or else read now; either way the request's <see cref="HttpRequest.Body"/> still reads it from the start.</summary>
    public static async ValueTask<RequestBody> OfAsync(HttpContext context, CancellationToken ct)
    {
        if (context.Features.Get<RequestBody>() is { } earlier)
        {
            return earlier;
        }

        var request = context.Request;
        // Kestrel stops a body over its limit (MaxRequestBodySize, 413) while it is read, so this never grows past it.
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is { } declared and > 0 and <= RequestBinder.MaxBodyBytes ? (int)declared : 4096);
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(filled), ct);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        var body = new RequestBody(buffer, filled);
        context.Response.RegisterForDispose(body);
        context.Features.Set(body);
        // Anything else that reads the request's stream (Cloud Map's binder, the console) reads these bytes.
        request.Body = new MemoryStream(buffer, 0, filled, writable: false);
        return body;
    }

    public void Dispose()
    {
        if (rented is { } array)
        {
            rented = null;
            length = 0;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
