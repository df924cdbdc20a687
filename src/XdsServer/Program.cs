using Mesh.XdsServer.Hosting;
using Mesh.XdsServer.ProxyStatus;
using Microsoft.Extensions.Options;

if (await HelpCommand.TryRunAsync(args, Console.Out) is { } helped)
{
    return helped;
}

if (args.Length > 0 && args[0] == "proxy-status")
{
    return await ProxyStatusCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None);
}

// Configuration: Xds:GrpcUrl (default http://127.0.0.1:18000, h2c), Xds:AdminUrl (http://127.0.0.1:18001:
// /healthz, /metrics, /proxy-status), ConnectionStrings:Mesh (PostgreSQL), Mesh:Region, Mesh:AccountId, Xds:Feed:*.
try
{
    var builder = WebApplication.CreateBuilder(args);

    // The served process needs its database: without one it would serve no mesh yet report ready, a green server over
    // an empty data plane. (The hosting itself still runs without one, for tests and in-process benchmarks that hand
    // it meshes directly.)
    if (string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Mesh")))
    {
        throw new XdsConfigurationException("ConnectionStrings:Mesh is not configured. Set the ConnectionStrings__Mesh environment variable "
            + $"(e.g. \"{Mesh.Persistence.ConnectionStrings.Example}\") to the API's database, or start the local stack with ./run.sh.");
    }

    builder.AddXdsServer();

    var app = builder.Build();
    app.MapXdsServer();
    await SetupCheckAtStart.RunAsync(app.Services, CancellationToken.None);
    await app.RunAsync();
    return 0;
}
catch (XdsConfigurationException e)
{
    await Console.Error.WriteLineAsync($"Mesh.XdsServer: {e.Message}");
    return 2;
}
catch (OptionsValidationException e)
{
    // A setting the options' validation refused (ValidateOnStart): said as plainly as the checks above.
    await Console.Error.WriteLineAsync($"Mesh.XdsServer: {string.Join(" ", e.Failures)}");
    return 2;
}
