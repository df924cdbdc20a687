using Mesh.Migrations;

// The explicit migration step: hosts never migrate on start (see README, "Migrations").
var connectionString = Arguments.Value(args, "--connection")
    ?? Environment.GetEnvironmentVariable("ConnectionStrings__Mesh");

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("Usage: Mesh.Migrations [--connection <connection string>]");
    Console.WriteLine("Applies pending EF Core migrations to the Mesh database.");
    Console.WriteLine("Without --connection, reads the ConnectionStrings__Mesh environment variable.");
    return 0;
}

if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("error: no connection string. Pass --connection or set ConnectionStrings__Mesh.");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    var applied = await MeshMigrator.MigrateAsync(connectionString, cancellation.Token);
    if (applied.Count == 0)
    {
        Console.WriteLine("migrations: database is up to date");
    }

    foreach (var id in applied)
    {
        Console.WriteLine($"migrations: applied {id}");
    }

    return 0;
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    Console.Error.WriteLine($"error: migration failed: {ex.Message}");
    return 1;
}
