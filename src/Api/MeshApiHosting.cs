using Mesh.Security;
using Mesh.Api.Bootstrap;
using Mesh.Api.CloudMap;
using Mesh.Api.WebConsole;
using Mesh.Api.Observability;
using Mesh.Api.OpenApi;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Api.Setup;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Mesh.Observability;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.Api;

/// <summary>Service registration and the request pipeline of the API host.</summary>
public static partial class MeshApiHosting
{
    public static WebApplicationBuilder AddMeshApi(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddQuietFrameworkLogs();

        var connectionString = builder.Configuration.GetConnectionString("Mesh") is { Length: > 0 } configured
            ? configured
            : throw new ApiConfigurationException("ConnectionStrings:Mesh is not configured. Set the ConnectionStrings__Mesh environment variable "
                + $"(e.g. \"{ConnectionStrings.Example}\"), or start the local stack with ./run.sh.");
        if (ConnectionStrings.Problem(connectionString) is { } malformed)
        {
            throw new ApiConfigurationException(malformed);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Abuse limits: bodies are small, and a client that trickles its headers or body is cut off
            // rather than holding a connection open.
            kestrel.Limits.MaxRequestBodySize = RequestBinder.MaxBodyBytes;

            // Kestrel answers a request line over its limit itself (414, no x-amzn-ErrorType). App Mesh paths hold
            // at most three 255-character names plus a paging token, so anything between that and this limit is a
            // bad name the API should name in a BadRequestException; beyond it is abuse.
            kestrel.Limits.MaxRequestLineSize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        });
        // A query parameter a minimal-API handler cannot bind (the console's ?limit=abc) throws, and is answered as
        // every bad request is (ApiFailures: BadRequestException naming it), rather than as a bare 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(static routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddOptions<SocketTransportOptions>().Configure<IOptions<MeshApiOptions>>(
            static (socket, mesh) => mesh.Value.Transport.ApplyTo(socket));
        // Checked before the host serves: a bad setting stops the start with its message (Program prints it, exit 2).
        builder.Services.AddOptions<MeshApiOptions>().BindConfiguration(MeshApiOptions.Section).ValidateDataAnnotations()
            .Validate(options => options.ReadCache.BarriersInFlight is >= 1 and <= ReadCacheOptions.MaxBarriersInFlight,
                $"Mesh:ReadCache:BarriersInFlight must be from 1 to {ReadCacheOptions.MaxBarriersInFlight}")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MeshApiOptions>, RetentionOptionsValidation>();
        var tuned = ApiConnectionString.Tune(connectionString);
        // One pool for every write connection: EF Core's contexts and the resource writes' batches (WriteDatabase).
        builder.Services.AddSingleton(_ => new WriteDatabase(NpgsqlDataSource.Create(ApiConnectionString.ForWrites(tuned))));
        builder.Services.AddSingleton(services =>
        {
            var slots = new WriteSlots(services.GetRequiredService<IOptions<MeshApiOptions>>().Value.WritesInFlight);
            services.GetRequiredService<ApiMetrics>().Observe(slots);
            return slots;
        });
        builder.Services.AddPooledDbContextFactory<MeshDbContext>((services, db) => db.UseNpgsql(services.GetRequiredService<WriteDatabase>().Source));
        builder.Services.AddSingleton(services => new ReadDatabase(NpgsqlDataSource.Create(
            ApiConnectionString.ForReads(tuned, services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ReadMultiplexing))));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(ServiceModel.AppMesh);
        builder.Services.AddSingleton<ShapeValidator>();
        builder.Services.AddSingleton<RequestBinder>();
        builder.Services.AddSingleton<ResourceView>();
        builder.Services.AddSingleton<PageTokens>();
        builder.Services.AddSingleton<SharedMissReads>();
        builder.Services.AddSingleton(services => new KeptAnswers(services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ReadCache.Capacity));
        builder.Services.AddSingleton(services => new ReadBarrier(services.GetRequiredService<ReadDatabase>(), services.GetRequiredService<KeptAnswers>(),
            new ChangeLogPosition(services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ReadCache.GapTimeout, services.GetRequiredService<TimeProvider>()),
            services.GetRequiredService<ApiMetrics>(), services.GetRequiredService<ILogger<ReadBarrier>>(),
            services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ReadCache.BarriersInFlight));
        // Its own small pool, so a wake-up never waits for a connection behind the writers it stands for.
        builder.Services.AddSingleton(services => new ChangeNotifier(NpgsqlDataSource.Create(tuned),
            services.GetRequiredService<IOptions<MeshApiOptions>>().Value.ChangeNotifyInterval, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ApiMetrics>(), services.GetRequiredService<ILogger<ChangeNotifier>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<ChangeNotifier>());
        builder.Services.AddSingleton<DatabaseCancels>();
        builder.Services.AddSingleton<ReadRace>();
        builder.Services.AddSingleton<WriteTransactions>();
        builder.Services.AddSingleton<ResourceOperations>();
        builder.Services.AddSingleton<TagOperations>();
        builder.Services.AddSingleton<OperationDispatcher>();
        builder.Services.AddSingleton<RetentionPruner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetentionPruner>());
        AddCloudMap(builder.Services);
        builder.Services.AddConsole(builder.Configuration);
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AuditLog>());
        builder.Services.AddSingleton(services =>
        {
            var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
            var masterKey = auth.MasterKey
                ?? throw new ApiConfigurationException("Mesh:Auth:MasterKey is not configured; it encrypts access-key secrets (base64 of 32 random bytes). "
                    + "Set Mesh__Auth__MasterKey (./run.sh keeps one in .mesh/master.key; a new one: head -c 32 /dev/urandom | base64).");
            return SecretProtector.FormatProblem(masterKey) is { } problem
                ? throw new ApiConfigurationException(problem)
                : new SecretProtector(masterKey);
        });
        builder.Services.AddSingleton(services =>
        {
            // A key read nobody waits for any more (their deadlines passed on a frozen database) is counted and
            // cancelled on the database-cancel thread, as abandoned reads and writes are.
            var cancels = services.GetRequiredService<DatabaseCancels>();
            var metrics = services.GetRequiredService<ApiMetrics>();
            return new AccessKeyStore(services.GetRequiredService<IDbContextFactory<MeshDbContext>>(), services.GetRequiredService<SecretProtector>(),
                services.GetRequiredService<TimeProvider>(), read =>
                {
                    metrics.ReadAbandoned(AbandonedRead.AccessKey);
                    cancels.Cancel(read);
                });
        });
        builder.Services.AddSingleton(services => new DatabaseSetup(
            services.GetRequiredService<IDbContextFactory<MeshDbContext>>(),
            services.GetRequiredService<IOptions<AuthOptions>>().Value.Mode == AuthMode.SigV4 ? services.GetRequiredService<AccessKeyStore>() : null));
        builder.AddMeshObservability();
        return builder;
    }

    public static WebApplication UseMeshApi(this WebApplication app)
    {
        // Settings are checked before anything runs, so a refusal is one message (Program prints it), not a host
        // start failure logged with its stack.
        app.Services.GetService<IStartupValidator>()?.Validate();

        // The request id, the deadline, the error answers and the AWS-style body of routing's bare 404/405, in one
        // middleware: a call that waits is resumed through one frame of ours on its way back, not three.
        app.UseMiddleware<ErrorHandlingMiddleware>();
        CheckAuthConfiguration(app);
        app.UseMiddleware<AuthenticationMiddleware>();

        app.MapMeshObservability();
        var openApi = OpenApiDocument.ToJson(ServiceModel.AppMesh);
        app.MapGet("/openapi/v1.json", () => Results.Text(openApi, "application/json"));
        // A browser pointed at the API's address lands on a page linking the console and the documentation.
        app.MapConsole();
        // The documentation UI's middleware runs only for its own paths: in the main pipeline it ran on every API
        // call (a regular expression on the path, then the embedded-file lookup) to serve none of them.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/docs", StringComparison.OrdinalIgnoreCase), docs => docs.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "docs";
            ui.SwaggerEndpoint("/openapi/v1.json", "App Mesh 2019-01-25");
        }));
        app.MapAppMeshApi();
        app.MapEnvoyBootstrap();
        app.MapCloudMapApi();
        return app;
    }

    /// <summary>The Cloud Map (servicediscovery) API, served on the same port with the same keys, audit and limits.</summary>
    private static void AddCloudMap(IServiceCollection services)
    {
        services.AddSingleton<CloudMapBinder>();
        services.AddSingleton<CloudMapPages>();
        services.AddSingleton<CloudMapNamespaces>();
        services.AddSingleton<CloudMapServices>();
        services.AddSingleton<CloudMapInstances>();
        services.AddSingleton<CloudMapDiscovery>();
        services.AddSingleton<CloudMapOperationQueries>();
        services.AddSingleton<CloudMapTags>();
        services.AddSingleton<CloudMapDispatcher>();
    }

    private static void CheckAuthConfiguration(WebApplication app)
    {
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (auth.Mode == AuthMode.SigV4)
        {
            // Fail at start, not at the first request, when keys could not be read.
            app.Services.GetRequiredService<SecretProtector>();
        }
        else
        {
            var account = app.Services.GetRequiredService<IOptions<MeshApiOptions>>().Value.AccountId;
            LogAuthenticationOff(app.Logger, account);
        }
    }

    [LoggerMessage(EventId = 49, Level = LogLevel.Warning,
        Message = "Mesh:Auth:Mode is None: API requests are NOT authenticated and act as account {AccountId} with full rights. Use only for local development.")]
    private static partial void LogAuthenticationOff(ILogger logger, string accountId);
}
