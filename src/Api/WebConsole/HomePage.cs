namespace Mesh.Api.WebConsole;

/// <summary>What a browser pointed at the API's address sees: where the console and the API documentation are.</summary>
public static class HomePage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Mesh</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body>
        <main>
        <h1>Mesh</h1>
        <p>An App Mesh compatible control plane.</p>
        <ul>
        <li><a href="/console">Console</a>: meshes, the service map, traffic shifting and the audit log (sign in with an access key).</li>
        <li><a href="/docs">API documentation</a> (OpenAPI: <a href="/openapi/v1.json">/openapi/v1.json</a>).</li>
        </ul>
        </main>
        </body>
        </html>
        """;
}
