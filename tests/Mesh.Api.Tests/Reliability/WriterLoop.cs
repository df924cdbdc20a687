using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests.Reliability;

/// <summary>
/// Clients writing to one mesh in a loop while a test breaks the database under them: each creates nodes of
/// its own (with a clientToken, as SDKs send) and updates one node they share. It records every answer, and
/// afterwards checks what an operator is promised: every acknowledged write is stored and audited, and every
/// failure is a clean ServiceUnavailableException.
/// </summary>
internal sealed class WriterLoop
{
    /// <summary>Loops are bounded in time as well as by the test's own stop.</summary>
    private static readonly TimeSpan MaxRun = TimeSpan.FromMinutes(2);

    private readonly ApiServer api;
    private readonly string mesh;
    private readonly List<Task> writers = [];
    private readonly List<Outcome> outcomes = [];
    private readonly CancellationTokenSource stop = new(MaxRun);

    private WriterLoop(ApiServer api, string mesh)
    {
        this.api = api;
        this.mesh = mesh;
    }

    public const string SharedNode = "shared";

    public IReadOnlyList<Outcome> Outcomes
    {
        get
        {
            lock (outcomes)
            {
                return outcomes.ToList();
            }
        }
    }

    public static async Task<WriterLoop> StartAsync(ApiServer api, int writerCount)
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync(SharedNode);
        var loop = new WriterLoop(api, mesh.Mesh);
        for (var i = 0; i < writerCount; i++)
        {
            var writer = i;
            loop.writers.Add(Task.Run(() => loop.WriteAsync(writer)));
        }

        await loop.SucceededAsync(writerCount);
        return loop;
    }

    /// <summary>Waits until <paramref name="count"/> more writes have been acknowledged than when called.</summary>
    public async Task SucceededAsync(int count)
    {
        var target = Outcomes.Count(o => o.Acknowledged) + count;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Outcomes.Count(o => o.Acknowledged) < target)
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(writers);
    }

    /// <summary>Every answer was a success or a clean ServiceUnavailableException with a message.</summary>
    public void AssertEveryFailureIsClean()
    {
        var unclean = Outcomes.Where(o => !o.Acknowledged && !(o.Status == 503 && o.ErrorType == "ServiceUnavailableException" && o.Message.Length > 0)).ToList();
        Assert.True(unclean.Count == 0,
            $"{unclean.Count} answers were neither a success nor a clean 503: {string.Join("; ", unclean.Take(10))}");
    }

    /// <summary>Every acknowledged create is stored, the shared node counts every acknowledged update, and each acknowledged write has its audit record.</summary>
    public async Task AssertNoAcknowledgedWriteLostAsync()
    {
        var all = Outcomes;
        // A connection of its own, not one pooled before the outage: the database may have dropped that one. (The
        // API's pool is separate: it adds its own settings to the connection string, see ApiConnectionString.)
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(api.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();

        var stored = new HashSet<string>();
        long sharedVersion = 0;
        await using (var command = new NpgsqlCommand("SELECT name, version FROM resources WHERE mesh_name = @mesh AND kind = 'virtualNode'", connection))
        {
            command.Parameters.AddWithValue("mesh", mesh);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetString(0));
                if (reader.GetString(0) == SharedNode)
                {
                    sharedVersion = reader.GetInt64(1);
                }
            }
        }

        var lost = all.Where(o => o.Acknowledged && o.Kind == "create" && !stored.Contains(o.Node)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged creates are not stored: {string.Join(", ", lost.Select(o => o.Node).Take(10))}");

        // An update that answered 503 may or may not have been applied (its outcome was unknown to the API too).
        var updates = all.Where(o => o.Kind == "update").ToList();
        var acknowledged = updates.Count(o => o.Acknowledged);
        Assert.InRange(sharedVersion, 1 + acknowledged, 1 + updates.Count);

        var requestIds = all.Where(o => o.Acknowledged).Select(o => o.RequestId!).ToArray();
        await using (var command = new NpgsqlCommand(
            "SELECT count(DISTINCT request_id) FROM audit_log WHERE status_code = 200 AND request_id = ANY(@ids)", connection))
        {
            command.Parameters.AddWithValue("ids", requestIds);
            Assert.Equal((long)requestIds.Length, (long)(await command.ExecuteScalarAsync())!);
        }
    }

    private async Task WriteAsync(int writer)
    {
        // A client timeout far above the API's own deadline: a call that hangs fails the test instead of hanging it.
        using var client = api.CreateClient(api.AdminKey);
        client.Timeout = TimeSpan.FromSeconds(30);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var node = $"w{writer}-{n}";
            var created = await SendAsync(client, HttpMethod.Put, Paths.VirtualNodes(mesh),
                new JsonObject { ["virtualNodeName"] = node, ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() });
            Record(new Outcome("create", node, created));
            var updated = await SendAsync(client, HttpMethod.Put, Paths.VirtualNode(mesh, SharedNode),
                new JsonObject { ["spec"] = Specs.VirtualNode(8000 + n % 1000) });
            Record(new Outcome("update", SharedNode, updated));
            if (!created.Acknowledged() || !updated.Acknowledged())
            {
                await Task.Delay(100); // Back off while the database is away, as SDKs do.
            }
        }
    }

    private static Task<ApiResponse> SendAsync(HttpClient client, HttpMethod method, string path, JsonNode body) =>
        ApiServer.SendAsync(client, new HttpRequestMessage(method, path)
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        });

    private void Record(Outcome outcome)
    {
        lock (outcomes)
        {
            outcomes.Add(outcome);
        }
    }

    public sealed record Outcome(string Kind, string Node, int Status, string? ErrorType, string Message, string? RequestId)
    {
        public Outcome(string kind, string node, ApiResponse response)
            : this(kind, node, response.Status, response.ErrorType, response.Message, response.RequestId)
        {
        }

        public bool Acknowledged => Status == 200;

        public override string ToString() => $"{Kind} {Node}: {Status} {ErrorType} {Message}";
    }
}

internal static class ApiResponseExtensions
{
    public static bool Acknowledged(this ApiResponse response) => response.Status == 200;
}
