using System.Collections.Frozen;
using System.Reflection;

namespace Mesh.Api.WebConsole;

/// <summary>
/// The console's built page, script and styles, embedded in this assembly by the build (src/Console, bundled by
/// esbuild; see Mesh.Api.csproj), so the host serves them wherever it runs. The page may load only this host's
/// scripts and styles (Content-Security-Policy), and no other site may frame it.
/// </summary>
public sealed partial class ConsoleAssets(ILogger<ConsoleAssets> logger)
{
    private const string ResourcePrefix = "console/";

    private const string SecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".map"] = "application/json",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private readonly Assembly assembly = typeof(ConsoleAssets).Assembly;

    public async Task ServeAsync(HttpContext context, string file)
    {
        var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file));
        await using var stream = type is null ? null : assembly.GetManifestResourceStream(ResourcePrefix + file);
        if (stream is null)
        {
            if (file == "index.html")
            {
                // The build embeds the console when npm is available; say so rather than answer a bare 404.
                LogNotBuilt(logger);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("The console is not part of this build of Mesh.Api: npm was not available when it was built (see README.md, Console).");
                return;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = type;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = SecurityPolicy;
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "GET /console: the console was not embedded in this build of Mesh.Api (npm was missing at build time)")]
    private static partial void LogNotBuilt(ILogger logger);
}
