using System.Text;
using Mesh.Api.Protocol;
using Microsoft.AspNetCore.Http;

namespace Mesh.Api.Tests;

/// <summary>
/// A request's body is read once (<see cref="RequestBody"/>): SigV4's hash and the binder's parse see the same bytes,
/// and whatever reads the request's stream afterwards (Cloud Map's binder, the console) still reads all of it.
/// </summary>
public sealed class RequestBodyTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(700, true)]
    [InlineData(700, false)] // chunked: no Content-Length, the buffer grows
    [InlineData(70_000, false)]
    public async Task TheBodyIsReadOnce_AndTheStreamStillReadsIt(int length, bool declared)
    {
        var bytes = Encoding.UTF8.GetBytes(new string('é', length / 2) + new string('a', length % 2));
        var context = new DefaultHttpContext();
        context.Request.Body = new TrickleStream(bytes);
        if (declared)
        {
            context.Request.ContentLength = bytes.Length;
        }

        var first = await RequestBody.OfAsync(context, CancellationToken.None);
        var second = await RequestBody.OfAsync(context, CancellationToken.None);

        Assert.Same(first, second);
        Assert.Equal(bytes, first.Span.ToArray());
        using var copy = new MemoryStream();
        await context.Request.Body.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    /// <summary>A body that arrives a few bytes at a time, as a socket's does.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 333)], cancellationToken);
    }
}
