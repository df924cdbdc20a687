using Mesh.Api;
using Mesh.Api.Commands;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshApi();

if (AdminCommands.Handles(args))
{
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // Operator commands share the host's configuration and services but start no server.
    await using var commandHost = builder.Build();
    return await AdminCommands.RunAsync(args, commandHost.Services, Console.Out, CancellationToken.None);
}

var app = builder.Build();
app.UseMeshApi();
await app.RunAsync();
return 0;

/// <summary>The API host; public so that tests can start it in-process.</summary>
public partial class Program;
