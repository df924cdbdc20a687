using System.CommandLine;
using System.Text;
using Mesh.Api.OpenApi;
using Mesh.Model.Wire;

namespace Mesh.Api.Commands;

/// <summary>
/// <c>Mesh.Api openapi [--out &lt;file&gt;]</c>: writes the OpenAPI document that the API serves at
/// <c>/openapi/v1.json</c>, byte for byte, without a database or a server. Build steps (the generated
/// client in tests/Mesh.Api.Client) and users who want the document offline call it.
/// </summary>
public static class OpenApiCommand
{
    public const string Usage = "Usage: Mesh.Api openapi [--out <file>]   (without --out the document goes to standard output)";

    public static bool Handles(string[] args) => args is ["openapi", ..];

    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken ct)
    {
        var outFile = new Option<string>("--out") { Description = "Write the document to this file (only when it changed)" };
        var command = new Command("openapi", "Write the OpenAPI document without a server or database") { outFile };
        command.SetAction(async (parsed, token) =>
        {
            var document = OpenApiDocument.ToJson(ServiceModel.AppMesh);
            if (parsed.GetValue(outFile) is { } path)
            {
                await WriteIfChangedAsync(path, document, token);
            }
            else
            {
                await output.WriteAsync(document.AsMemory(), token);
            }
        });

        // The command's own name comes first, as Program passes the whole command line.
        var result = command.Parse(args);
        if (result.Errors is [var first, ..])
        {
            await output.WriteLineAsync(first.Message + Environment.NewLine + Usage);
            return 2;
        }

        return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false }, ct);
    }

    /// <summary>
    /// Leaves the file alone when it already holds the document, so its timestamp moves only when the
    /// document does and a build that generates code from it stays incremental.
    /// </summary>
    private static async Task WriteIfChangedAsync(string path, string document, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(document);
        if (File.Exists(path) && (await File.ReadAllBytesAsync(path, ct)).AsSpan().SequenceEqual(bytes))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, bytes, ct);
    }
}
