using System.Text.Json.Nodes;
using Mesh.Api.Tests.Infrastructure;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// Every refusal the write functions (migration WriteFunctions) can make, each with the message the API words from
/// it; clientToken replays, which the functions answer from the stored record; and races of writes that the
/// functions' locks and constraints settle.
/// </summary>
public sealed class WriteFunctionTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Create_InAMissingMesh_NamesTheMesh()
    {
        var mesh = $"absent-{Guid.NewGuid():N}"[..20];
        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh),
            new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode() });
        response.AssertError(404, "NotFoundException");
        Assert.Equal($"Mesh '{mesh}' does not exist.", response.Message);
    }

    [Fact]
    public async Task Create_OfARouteOnAMissingRouter_NamesTheRouter()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("a");
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "nowhere"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("a", 1)) });
        response.AssertError(404, "NotFoundException");
        Assert.Equal($"Virtual router 'nowhere' in mesh '{mesh.Mesh}' does not exist.", response.Message);
    }

    [Fact]
    public async Task Create_NamesTheFirstMissingReference_InTheSpecsOrder()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("a");
        await mesh.RouterAsync("router");
        var response = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("a", 1), ("ghost", 1), ("phantom", 1)) });
        response.AssertError(404, "NotFoundException");
        Assert.Equal($"spec.httpRoute.action.weightedTargets[1].virtualNode: virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist.", response.Message);
    }

    [Fact]
    public async Task ACreate_WithAMissingLinkAndATakenName_NamesTheMissingLink_AndWritesNothing()
    {
        // Migration FewerStatementsPerWrite: the probe of the links and the INSERT are one statement, which inserts
        // nothing when a link is missing, so the missing link is named, not the taken name (as when they were two).
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));

        var response = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new JsonObject { ["virtualServiceName"] = "svc.local", ["spec"] = Specs.ServiceByNode("ghost") });
        response.AssertError(404, "NotFoundException");
        Assert.Contains($"virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist.", response.Message);

        var taken = await api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new JsonObject { ["virtualServiceName"] = "svc.local", ["spec"] = Specs.ServiceByNode("web") });
        taken.AssertError(409, "ConflictException");
        Assert.Equal(["create virtualNode web 1", "create virtualService svc.local 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ARouteCreate_WithATakenNameAndAPortTheRouterLacks_IsRefusedForItsPort()
    {
        // A route's port is checked after its links and before its name, as before the probe and INSERT became one statement.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.RouterAsync("router", Specs.RouterSpec(8080, 9090));
        await mesh.RouteAsync("router", "r", Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 9090 }, ("v1", 100)));

        var wrong = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 7000 }, ("v1", 100)) });
        wrong.AssertError(400, "BadRequestException");
        Assert.Contains("port 7000 is not a listener of virtual router 'router' (listeners: 8080, 9090)", wrong.Message);

        var ghost = await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 7000 }, ("ghost", 100)) });
        ghost.AssertError(404, "NotFoundException");
        Assert.Equal(["create virtualNode v1 1", "create virtualRouter router 1", "create route r 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task Update_OfAMissingResource_NamesTheFirstMissingLink()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var missingNode = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "ghost"), new JsonObject { ["spec"] = Specs.VirtualNode() });
        missingNode.AssertError(404, "NotFoundException");
        Assert.Equal($"Virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist.", missingNode.Message);

        var missingMesh = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh + "-x", "ghost"), new JsonObject { ["spec"] = Specs.VirtualNode() });
        missingMesh.AssertError(404, "NotFoundException");
        Assert.Equal($"Mesh '{mesh.Mesh}-x' does not exist.", missingMesh.Message);

        var missingRouter = await api.SendAsync(HttpMethod.Put, Paths.Route(mesh.Mesh, "nowhere", "r"), new JsonObject { ["spec"] = Specs.HttpRoute(("a", 1)) });
        missingRouter.AssertError(404, "NotFoundException");
        Assert.Equal($"Virtual router 'nowhere' in mesh '{mesh.Mesh}' does not exist.", missingRouter.Message);

        // The resource exists, what its new spec names does not.
        await mesh.NodeAsync("web");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        var missingProvider = await api.SendAsync(HttpMethod.Put, Paths.VirtualService(mesh.Mesh, "svc.local"), new JsonObject { ["spec"] = Specs.ServiceByNode("ghost") });
        missingProvider.AssertError(404, "NotFoundException");
        Assert.Equal($"spec.provider.virtualNode.virtualNodeName: virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist.", missingProvider.Message);
    }

    [Fact]
    public async Task Delete_OfAMissingResource_NamesTheFirstMissingLink()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var node = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "ghost"));
        node.AssertError(404, "NotFoundException");
        Assert.Equal($"Virtual node 'ghost' in mesh '{mesh.Mesh}' does not exist.", node.Message);

        var inMissingMesh = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh + "-x", "ghost"));
        inMissingMesh.AssertError(404, "NotFoundException");
        Assert.Equal($"Mesh '{mesh.Mesh}-x' does not exist.", inMissingMesh.Message);

        var route = await api.SendAsync(HttpMethod.Delete, Paths.Route(mesh.Mesh, "nowhere", "r"));
        route.AssertError(404, "NotFoundException");
        Assert.Equal($"Virtual router 'nowhere' in mesh '{mesh.Mesh}' does not exist.", route.Message);

        var meshItself = await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh + "-x"));
        meshItself.AssertError(404, "NotFoundException");
        Assert.Equal($"Mesh '{mesh.Mesh}-x' does not exist.", meshItself.Message);
    }

    [Fact]
    public async Task Update_OfARoute_ChecksItsPortAgainstTheRouter()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("v1");
        await mesh.RouterAsync("router", Specs.RouterSpec(8080, 9090));
        await mesh.RouteAsync("router", "r", Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 9090 }, ("v1", 100)));

        var wrong = await api.SendAsync(HttpMethod.Put, Paths.Route(mesh.Mesh, "router", "r"),
            new JsonObject { ["spec"] = Specs.HttpRouteWithMatch(new JsonObject { ["prefix"] = "/", ["port"] = 7000 }, ("v1", 100)) });
        wrong.AssertError(400, "BadRequestException");
        Assert.Contains("spec.httpRoute.match.port: port 7000 is not a listener of virtual router 'router' (listeners: 8080, 9090)", wrong.Message);

        var unnamed = await api.SendAsync(HttpMethod.Put, Paths.Route(mesh.Mesh, "router", "r"), new JsonObject { ["spec"] = Specs.HttpRoute(("v1", 100)) });
        unnamed.AssertError(400, "BadRequestException");
        Assert.Contains("spec.<protocol>Route.match.port: is required because virtual router 'router' has 2 listeners (8080, 9090)", unnamed.Message);

        var current = (await api.SendAsync(HttpMethod.Get, Paths.Route(mesh.Mesh, "router", "r"))).AssertOk();
        Assert.Equal(1, current.Body!["metadata"]!["version"]!.GetValue<long>());

        // One listener: a route need not name it.
        await mesh.RouterAsync("single", Specs.RouterSpec(8080));
        await mesh.RouteAsync("single", "r", Specs.HttpRoute(("v1", 100)));
    }

    [Fact]
    public async Task ARefusedDelete_ChangesNothing()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        await mesh.ServiceAsync("svc.local", Specs.ServiceByNode("web"));
        var refused = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"));
        refused.AssertError(409, "ResourceInUseException");
        Assert.Equal($"Virtual node 'web' in mesh '{mesh.Mesh}' is in use by virtual service 'svc.local'.", refused.Message);

        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        Assert.Equal(["create virtualNode web 1", "create virtualService svc.local 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ARefusedDeleteOfAMeshOrAParent_ChangesNothing()
    {
        // Migration DeleteReturnsTheRow: the row is deleted before the checks that refuse it, so a refusal must roll it back.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("a");
        await mesh.RouterAsync("router");
        (await api.SendAsync(HttpMethod.Put, Paths.Routes(mesh.Mesh, "router"),
            new JsonObject { ["routeName"] = "r", ["spec"] = Specs.HttpRoute(("a", 1)) })).AssertOk();

        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualRouter(mesh.Mesh, "router"))).AssertError(409, "ResourceInUseException");
        (await api.SendAsync(HttpMethod.Delete, Paths.Mesh(mesh.Mesh))).AssertError(409, "ResourceInUseException");

        Assert.Equal(1, (await api.SendAsync(HttpMethod.Get, Paths.VirtualRouter(mesh.Mesh, "router"))).AssertOk().Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(1, (await api.SendAsync(HttpMethod.Get, Paths.Mesh(mesh.Mesh))).AssertOk().Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(["create virtualNode a 1", "create virtualRouter router 1", "create route r 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ARefusedCreate_DoesNotUseUpItsToken()
    {
        var mesh = $"later-{Guid.NewGuid():N}"[..20];
        var request = new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), request)).AssertError(404, "NotFoundException");

        await MeshBuilder.CreateAsync(api, mesh);
        var created = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh), request.DeepClone())).AssertOk();
        Assert.Equal(1, created.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task ATokenUsedForACreate_RefusesAnUpdate_NamingTheCreate()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var token = Guid.NewGuid().ToString();
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = token })).AssertOk();
        var update = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"),
            new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = token });
        update.AssertError(409, "ConflictException");
        Assert.Equal($"clientToken '{token}' was already used for a different CreateVirtualNode request; use a new token for a new request.", update.Message);

        var otherCreate = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "web2", ["spec"] = Specs.VirtualNode(), ["clientToken"] = token });
        otherCreate.AssertError(409, "ConflictException");
        Assert.Contains("already used for a different CreateVirtualNode request", otherCreate.Message);
    }

    [Fact]
    public async Task AReplayedCreate_AfterTheResourceIsGone_AnswersAsFirstAndCreatesNothing()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var request = new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        var first = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request)).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();

        var replayed = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request.DeepClone())).AssertOk();
        Assert.Equal(first.Body!["metadata"]!["uid"]!.GetValue<string>(), replayed.Body!["metadata"]!["uid"]!.GetValue<string>());
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertError(404, "NotFoundException");
        Assert.Equal(["create virtualNode web 1", "delete virtualNode web 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task AReplayedUpdate_AnswersWithTheFirstAnswersMetadata_ToTheCharacter()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var first = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update)).AssertOk();
        var replayed = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update.DeepClone())).AssertOk();
        var described = (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();

        // The stored answer's row values were filled in by the function: they must read exactly as the API writes them.
        foreach (var member in new[] { "arn", "createdAt", "lastUpdatedAt", "meshOwner", "resourceOwner", "uid", "version" })
        {
            var expected = first.Body!["metadata"]![member]!.ToJsonString();
            Assert.Equal(expected, replayed.Body!["metadata"]![member]!.ToJsonString());
            Assert.Equal(expected, described.Body!["metadata"]![member]!.ToJsonString());
        }

        Assert.Equal(2, described.Body!["metadata"]!["version"]!.GetValue<long>());
        Assert.Equal(["create virtualNode web 1", "update virtualNode web 2"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task AClaimedToken_KeepsTheFirstCallsValues_AndAReplayGetsThem()
    {
        // Migration IdempotencyRecordFacts: the claim writes the first call's uid, version and resource creation time with
        // the token, no answer; the identical request again gets them (and the first call's time), another is refused.
        var token = Guid.NewGuid().ToString();
        var uid = Guid.NewGuid();
        var createdAt = new DateTimeOffset(2026, 11, 30, 8, 0, 0, 123, TimeSpan.Zero);
        Assert.Null((await ClaimAsync(token, "hash-1", uid, 7, createdAt)).At);
        Assert.Equal((null, uid, 7L, createdAt), await StoredRecordAsync(token));

        var replayed = await ClaimAsync(token, "hash-1", Guid.NewGuid(), 8, null);
        Assert.Equal((null, uid, 7L, createdAt), (replayed.Response, replayed.Uid, replayed.Version, replayed.ResourceCreatedAt));
        Assert.NotNull(replayed.At);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ClaimAsync(token, "hash-2", Guid.NewGuid(), 1, null));
        Assert.Equal("MT001", refused.SqlState);
        Assert.Equal((null, uid, 7L, createdAt), await StoredRecordAsync(token));
    }

    [Fact]
    public async Task AClaimRacingAnUncommittedClaimOfItsToken_FailsAsAConflict_AndRunAgainIsTheReplay()
    {
        // Migration ClaimWithoutSpeculativeInsert: the claim is a plain INSERT when no committed record holds the token.
        // A second claim while the first is uncommitted waits for it on the unique index, then fails as a conflict the
        // API runs again (DatabaseFailures.IsConflict); run again, it is the replay of the first.
        var token = Guid.NewGuid().ToString();
        var uid = Guid.NewGuid();
        await using var first = new NpgsqlConnection(api.ConnectionString);
        await first.OpenAsync();
        await using var held = await first.BeginTransactionAsync();
        await using (var claim = new NpgsqlCommand(
            "SELECT o_at FROM mesh_claim_token('111122223333', $1, 'CreateVirtualNode', 'hash-1', now(), now() - interval '1 day', $2, 1, NULL)", first))
        {
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = token });
            claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = uid });
            Assert.Equal(DBNull.Value, await claim.ExecuteScalarAsync());
        }

        var second = ClaimAsync(token, "hash-1", Guid.NewGuid(), 1, null);
        await WaitUntilAClaimWaitsAsync(first.ProcessID);
        await held.CommitAsync();

        var raced = await Assert.ThrowsAsync<PostgresException>(() => second);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, raced.SqlState);
        Assert.Equal(Mesh.Api.Observability.WriteRetryReason.TokenRace, Mesh.Api.Resources.DatabaseFailures.ConflictReason(raced));
        var replayed = await ClaimAsync(token, "hash-1", Guid.NewGuid(), 1, null);
        Assert.Equal(uid, replayed.Uid);
        Assert.NotNull(replayed.At);
    }

    /// <summary>Waits until a session of this database waits for a lock <paramref name="holder"/> holds.</summary>
    private async Task WaitUntilAClaimWaitsAsync(int holder)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))", connection);
        waiting.Parameters.Add(new NpgsqlParameter<int> { TypedValue = holder });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while ((long)(await waiting.ExecuteScalarAsync(timeout.Token))! == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task AnUpdatesToken_KeepsTheRowsValues_AndNoAnswer()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var token = Guid.NewGuid().ToString();
        var first = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"),
            new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = token })).AssertOk();

        // The update reads its row before it claims the token, so the record holds the row's uid, the version written
        // and the resource's creation time.
        var (response, uid, version, createdAt) = await StoredRecordAsync(token);
        Assert.Null(response);
        Assert.Equal(first.Body!["metadata"]!["uid"]!.GetValue<string>(), uid.ToString());
        Assert.Equal(2, version);
        Assert.Equal(first.Body!["metadata"]!["createdAt"]!.GetValue<decimal>(), createdAt!.Value.ToUnixTimeMilliseconds() / 1000m);
    }

    [Fact]
    public async Task ARecordWrittenWithItsAnswer_BeforeTheRecordKeptValues_IsAnsweredWithThatText()
    {
        // Records written before migration IdempotencyRecordFacts hold the answer's text until they are pruned: a replay
        // answers that text as it is.
        var mesh = await MeshBuilder.CreateAsync(api);
        var request = new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request)).AssertOk();
        const string Stored = """{"virtualNode":{"meshName":"stored","metadata":{"version":41}}}""";
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "UPDATE idempotency_records SET response = @stored, uid = NULL, version = NULL WHERE client_token = @token", connection);
            command.Parameters.AddWithValue("stored", Stored);
            command.Parameters.AddWithValue("token", request["clientToken"]!.GetValue<string>());
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var replayed = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request.DeepClone())).AssertOk();
        Assert.Equal("stored", replayed.Body!["meshName"]!.GetValue<string>());
        Assert.Equal(41, replayed.Body!["metadata"]!["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task AReplayedUpdate_AfterTheResourceIsGone_AnswersAsFirstAndWritesNothing()
    {
        // The update claims its token after looking for its row: with no row, a replay still answers the first answer.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var update = new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() };
        var first = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update)).AssertOk();
        (await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();

        var replayed = (await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "web"), update.DeepClone())).AssertOk();
        Assert.True(JsonNode.DeepEquals(first.Body, replayed.Body));
        (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertError(404, "NotFoundException");
        Assert.Equal(["create virtualNode web 1", "update virtualNode web 2", "delete virtualNode web 2"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ConcurrentCreates_WithOneToken_AllGetTheOneAnswer_AndOneResourceIsWritten()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var request = new JsonObject { ["virtualNodeName"] = "web", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), request.DeepClone())));
        Assert.All(answers, a => a.AssertOk());
        Assert.Single(answers.Select(a => a.Body!["metadata"]!["uid"]!.GetValue<string>()).Distinct());
        Assert.Equal(["create virtualNode web 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ConcurrentCreates_OfOneName_WithTokensOfTheirOwn_OneWinsAndTheRestAreConflicts()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "race", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() })));
        Assert.Equal(1, answers.Count(a => a.Status == 200));
        Assert.All(answers.Where(a => a.Status != 200), a =>
        {
            a.AssertError(409, "ConflictException");
            Assert.Equal($"Virtual node 'race' in mesh '{mesh.Mesh}' already exists.", a.Message);
        });
        Assert.Equal(["create virtualNode race 1"], await ChangesAsync(mesh.Mesh));
    }

    [Fact]
    public async Task ADeleteRacingCreatesThatNeedIt_EitherWinsCleanly()
    {
        // Each create of a service provided by the node holds the node against deletion until it commits; the delete
        // then sees every service that committed and is refused, or it wins and every later create is NotFound.
        var mesh = await MeshBuilder.CreateAsync(api);
        await mesh.NodeAsync("web");
        var creates = Enumerable.Range(0, 6).Select(i => api.SendAsync(HttpMethod.Put, Paths.VirtualServices(mesh.Mesh),
            new JsonObject { ["virtualServiceName"] = $"s{i}.local", ["spec"] = Specs.ServiceByNode("web") })).ToList();
        var deleting = api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "web"));
        var answers = await Task.WhenAll(creates);
        var delete = await deleting;

        var created = answers.Count(c => c.Status == 200);
        Assert.All(answers.Where(c => c.Status != 200), c => c.AssertError(404, "NotFoundException"));
        if (delete.Status == 200)
        {
            Assert.Equal(0, created);
        }
        else
        {
            delete.AssertError(409, "ResourceInUseException");
            Assert.True(created > 0);
            (await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, "web"))).AssertOk();
        }
    }

    /// <summary>mesh_claim_token's answer: the held record's values for a replay, all null when this call claimed.</summary>
    private async Task<(string? Response, Guid? Uid, long? Version, DateTimeOffset? ResourceCreatedAt, DateTimeOffset? At)> ClaimAsync(
        string token, string hash, Guid uid, long version, DateTimeOffset? createdAt)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT * FROM mesh_claim_token('111122223333', @token, 'CreateVirtualNode', @hash, now(), now() - interval '1 day', @uid, @version, @createdAt)",
            connection);
        command.Parameters.AddWithValue("token", token);
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("uid", uid);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("createdAt", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = createdAt });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var held = Values(reader);
        return (held.Response, held.Uid, held.Version, held.ResourceCreatedAt, reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
    }

    private async Task<(string? Response, Guid? Uid, long? Version, DateTimeOffset? ResourceCreatedAt)> StoredRecordAsync(string token)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT response, uid, version, resource_created_at FROM idempotency_records WHERE client_token = @token", connection);
        command.Parameters.AddWithValue("token", token);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return Values(reader);
    }

    /// <summary>A record's response, uid, version and resource creation time (the claim's first four columns too).</summary>
    private static (string? Response, Guid? Uid, long? Version, DateTimeOffset? ResourceCreatedAt) Values(NpgsqlDataReader reader) => (
        reader.IsDBNull(0) ? null : reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetGuid(1),
        reader.IsDBNull(2) ? null : reader.GetInt64(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));

    /// <summary>The mesh's change records, in order, as "operation kind name version".</summary>
    private async Task<List<string>> ChangesAsync(string mesh)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT operation, kind, name, version FROM changes WHERE mesh_name = @mesh AND kind <> 'mesh' ORDER BY seq", connection);
        command.Parameters.AddWithValue("mesh", mesh);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)} {reader.GetInt64(3)}");
        }

        return rows;
    }
}
