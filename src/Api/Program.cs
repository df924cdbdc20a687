using Mesh.Api;
using Mesh.Api.Commands;
using Mesh.Api.Setup;

if (await HelpCommand.TryRunAsync(args, Console.Out) is { } helped)
{
    // Help and the version need nothing: no configuration, no database.
    return helped;
}

if (OpenApiCommand.Handles(args))
{
    // The document is derived from the embedded model alone: no configuration, database or keys.
    return await OpenApiCommand.RunAsync(args, Console.Out, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(args);
if (BootstrapCommand.Handles(args))
{
    // Rendering a bootstrap needs configuration only: no database, no keys.
    return await BootstrapCommand.RunAsync(args, builder.Configuration, Console.Out);
}

try
{
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
    await SetupCheckAtStart.RunAsync(app.Services, CancellationToken.None);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ApiConfigurationException or Mesh.Security.MasterKeyMismatchException)
{
    // Said plainly, instead of as an unhandled exception: it is the first thing a new operator runs into.
    await Console.Error.WriteLineAsync($"Mesh.Api: {e.Message}");
    return 2;
}
catch (InvalidOperationException e) when (e.Source == typeof(ConfigurationBinder).Assembly.GetName().Name)
{
    // A value the options cannot be bound from (a time span written "90d"): the binder's message names the setting and
    // the value, and comes from wherever the options are first read (building the host reads some).
    await Console.Error.WriteLineAsync($"Mesh.Api: {e.Message}");
    return 2;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    // A setting the options' validation refused at start (ValidateOnStart), said as plainly.
    await Console.Error.WriteLineAsync($"Mesh.Api: {string.Join(" ", e.Failures)}");
    return 2;
}

/// <summary>The API host; public so that tests can start it in-process.</summary>
public partial class Program;
