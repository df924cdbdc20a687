using Mesh.Api.Commands;
using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests;

/// <summary><c>Mesh.Api openapi</c> writes the served document without starting a server.</summary>
public sealed class OpenApiCommandTests(ApiServer api) : IClassFixture<ApiServer>, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("mesh-openapi-").FullName;

    [Theory]
    [InlineData("'--output'", "openapi", "--output", "x.json")]
    [InlineData("'--out'", "openapi", "--out")]
    [InlineData("'extra'", "openapi", "extra")]
    public async Task Misuse_NamesTheProblemWithTheUsageAndExits2(string named, params string[] args)
    {
        using var output = new StringWriter();

        Assert.Equal(2, await OpenApiCommand.RunAsync(args, output, CancellationToken.None));
        var lines = output.ToString().Split('\n');
        Assert.Contains(named, lines[0], StringComparison.Ordinal);
        Assert.Equal(OpenApiCommand.Usage, lines[1].TrimEnd());
    }

    [Fact]
    public async Task Out_WritesTheServedBytes()
    {
        var path = Path.Combine(directory, "nested", "openapi.json");

        Assert.Equal(0, await OpenApiCommand.RunAsync(["openapi", "--out", path], TextWriter.Null, CancellationToken.None));

        Assert.Equal(await api.Client.GetByteArrayAsync("/openapi/v1.json"), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task WithoutOut_WritesTheServedDocumentToOutput()
    {
        var output = new StringWriter();

        Assert.Equal(0, await OpenApiCommand.RunAsync(["openapi"], output, CancellationToken.None));

        Assert.Equal(await api.Client.GetStringAsync("/openapi/v1.json"), output.ToString());
    }

    [Fact]
    public async Task Out_LeavesAFileThatHoldsTheDocumentUntouched()
    {
        // Builds regenerate the client when the document's timestamp moves, so an unchanged one must not move.
        var path = Path.Combine(directory, "openapi.json");
        await OpenApiCommand.RunAsync(["openapi", "--out", path], TextWriter.Null, CancellationToken.None);
        var marked = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, marked);

        await OpenApiCommand.RunAsync(["openapi", "--out", path], TextWriter.Null, CancellationToken.None);

        Assert.Equal(marked, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task Out_ReplacesAStaleDocument()
    {
        var path = Path.Combine(directory, "openapi.json");
        await File.WriteAllTextAsync(path, """{"openapi":"3.0.3"}""");

        await OpenApiCommand.RunAsync(["openapi", "--out", path], TextWriter.Null, CancellationToken.None);

        Assert.Equal(await api.Client.GetByteArrayAsync("/openapi/v1.json"), await File.ReadAllBytesAsync(path));
    }

    [Theory]
    [InlineData("openapi", "--out")]
    [InlineData("openapi", "--format", "yaml")]
    public async Task BadArguments_PrintUsageAndExit2(params string[] args)
    {
        var output = new StringWriter();

        Assert.Equal(2, await OpenApiCommand.RunAsync(args, output, CancellationToken.None));

        Assert.Contains(OpenApiCommand.Usage, output.ToString());
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
