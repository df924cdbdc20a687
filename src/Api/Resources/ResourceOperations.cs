using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Observability;
using Mesh.Api.Protocol;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Mesh.Api.Resources;

/// <summary>
/// Create, Describe, Update, Delete and List for all seven kinds. What differs between kinds (names,
/// parents, references, quotas) is data on <see cref="ResourceKind"/>; the flow is the same for all.
/// </summary>
public sealed class ResourceOperations(
    IDbContextFactory<MeshDbContext> contexts,
    ReadDatabase reads,
    WriteTransactions writes,
    ResourceView view,
    PageTokens pageTokens,
    ReadBarrier barrier,
    KeptAnswers kept,
    SharedMissReads misses,
    ApiMetrics metrics,
    IOptions<MeshApiOptions> options,
    TimeProvider clock)
{
    private MeshApiOptions Options => options.Value;

    // The write functions' calls (migration WriteFunctions), each with the call's audit record in the same statement
    // (WriteTransactions.Audited) and its parameters kept between calls (WriteStatement).
    private static readonly WriteStatement CreateStatement = WriteTransactions.Audited("""
        SELECT * FROM mesh_create_resource($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15, $16,
            $17::integer, $18::text, $19, $20, $21, $22, $23, $24, $25, $26)
        """);

    private static readonly WriteStatement UpdateStatement = WriteTransactions.Audited("""
        SELECT * FROM mesh_update_resource($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13,
            $14::integer, $15::text, $16, $17, $18)
        """);

    private static readonly WriteStatement DeleteStatement = WriteTransactions.Audited("""
        SELECT * FROM mesh_delete_resource($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text, $11::text, $12, $13, $14)
        """);

    public async Task<JsonObject> CreateAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        var spec = SpecOf(input);
        var tags = Tags.Normalize(input["tags"] as JsonArray);
        CheckSpec(kind, spec);
        var specUtf8 = Utf8Of(spec);
        if (kind.IsMesh)
        {
            TracingTagRules.CheckCreate(tags);
        }

        var dependencies = WriteDependencies.Of(kind, id, spec);
        var (limit, scope) = QuotaOf(kind, id);
        try
        {
            try
            {
                return await CreateOnceAsync(call, kind, id, input, specUtf8, tags, dependencies, limit, exactCount: false, cancellationToken);
            }
            catch (PostgresException error) when (QuotaCounter.IsNearLimit(error))
            {
                // Too close to the quota for the optimistic count to admit it (nothing was committed): count exactly.
                return await CreateOnceAsync(call, kind, id, input, specUtf8, tags, dependencies, limit, exactCount: true, cancellationToken);
            }
        }
        catch (PostgresException error) when (QuotaCounter.IsOverLimit(error))
        {
            // The transaction rolled back, and this create's count with it.
            throw AppMeshException.LimitExceeded($"The quota of {limit} {scope} is reached; delete one or raise Mesh:Quotas in configuration.");
        }
    }

    private Task<JsonObject> CreateOnceAsync(ApiCall call, ResourceKind kind, ResourceId id, JsonObject input, byte[] specUtf8, JsonArray tags,
        WriteDependencies dependencies, int limit, bool exactCount, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var now = clock.GetUtcNow();
        var token = Idempotency.For(call.Operation, input, now);
        var entity = WrittenEntity(call, kind, id, tags.ToJsonString(), dependencies, now);
        entity.Uid = Guid.NewGuid();
        entity.Version = 1;

        // Everything is known before the write, so the answer is made now; the token's record keeps the uid and the time,
        // from which a replay's answer is made again (migration IdempotencyRecordFacts).
        var response = WrittenAnswer.Of(view, kind, entity, specUtf8, ResourceView.Active).Output(kind);
        var scope = QuotaCounter.ScopeOf(id);
        return writes.RunAsync(call, id.Describe(),
            () => CreateStatement.Rent()
                .Text(entity.AccountId).Text(entity.MeshName).Text(entity.Kind).Text(entity.ParentName).Text(entity.Name).Text(entity.Arn)
                .Value(entity.Uid).Utf8Text(specUtf8).Text(entity.Tags).TextArray(entity.Refs).Text(entity.ResourceOwner).Value(now)
                .TextArray(dependencies.Kinds).TextArray(dependencies.Parents).TextArray(dependencies.Names).Value(dependencies.ChecksRoutePort)
                .Integer(dependencies.MatchPort)
                .Text(token.Token).Text(token.Operation).Text(token.Hash).Value(token.Cutoff)
                .Text(scope.Mesh).Value(QuotaCounter.PickShard()).Value(QuotaCounter.Shards).Value((long)limit).Value(exactCount),
            row =>
            {
                if (row![2] is not { } replayedAt)
                {
                    return response;
                }

                if (Idempotency.Replayed(row[0]) is { } stored)
                {
                    return stored;
                }

                // The same request as the first (its hash is the record's), so the same answer with the first's uid and time.
                entity.Uid = (Guid)row[1]!;
                entity.CreatedAt = entity.LastUpdatedAt = ResourceRows.AsOffset(replayedAt);
                return WrittenAnswer.Of(view, kind, entity, specUtf8, ResourceView.Active).Output(kind);
            },
            error => dependencies.Refusal(error) ?? token.Refusal(error),
            cancellationToken);
    }

    /// <summary>
    /// The row a create or update writes, as far as the API knows it before the write function runs (an update's
    /// arn, uid, version, owner and creation time come back from the function). Its spec is not made into text: the
    /// write sends the spec's UTF-8 as it is (<see cref="WriteParameters.Utf8Text"/>) and the answer copies those bytes.
    /// Its ARN is the call's: the endpoint made it for the policy check from the same bound input, region and account
    /// (<see cref="Security.OperationResources.Arn"/>, which is <see cref="ResourceId.ToArn"/> of the same id), so it is
    /// not written a second time (issue14aw).
    /// </summary>
    private static ResourceEntity WrittenEntity(ApiCall call, ResourceKind kind, ResourceId id, string tags,
        WriteDependencies dependencies, DateTimeOffset now) => new()
    {
        AccountId = call.AccountId,
        MeshName = id.MeshName,
        Kind = kind.WireName,
        ParentName = id.ParentName,
        Name = id.Name,
        Arn = call.ResourceArn,
        Spec = "",
        Tags = tags,
        Refs = dependencies.Keys,
        ResourceOwner = call.AccountId,
        CreatedAt = now,
        LastUpdatedAt = now,
    };

    public async Task<JsonObject> DescribeAsync(string account, ResourceKind kind, JsonObject input, CancellationToken cancellationToken) =>
        await DescribeAsync(account, IdentityOf(account, kind, input), cancellationToken);

    /// <summary>The resource <paramref name="id"/> names in <paramref name="account"/>, with its names already checked.</summary>
    public Task<JsonObject> DescribeAsync(string account, ResourceId id, CancellationToken cancellationToken) =>
        Options.ReadCache.Enabled
            ? DescribeBehindBarrierAsync(account, id, cancellationToken)
            : DataRow.DescribeAsync(view, reads, account, id, describeMiss ??= DescribeMissAsync, cancellationToken);

    /// <summary>
    /// A Describe with <c>Mesh:ReadCache</c>: after a read barrier (<see cref="ReadBarrier"/>), the answer this process
    /// keeps for the resource (<see cref="KeptAnswers"/>), or else the row read from PostgreSQL and kept. Describes
    /// that miss the same resource at once share one read that started after they arrived (<see cref="SharedMissReads"/>);
    /// only the reader keeps it. After a failed barrier nothing is answered from memory or kept.
    /// </summary>
    /// <remarks>
    /// A miss reads the whole row at once (<see cref="DataRow.RenderAsync"/>), not its version first as a Describe
    /// without the cache does: a miss mostly follows a write, whose new version was never rendered here, so the
    /// version's statement would be a round trip more before the row's.
    /// </remarks>
    private async Task<JsonObject> DescribeBehindBarrierAsync(string account, ResourceId id, CancellationToken cancellationToken)
    {
        var arrival = misses.Arrive();
        var epoch = await barrier.PassAsync();
        if (epoch is not null && kept.TryGet(account, id, out var answer))
        {
            metrics.ReadCacheDescribed(ReadCacheAnswer.Kept);
            return new JsonObject { [id.Kind.WireName] = RawJson.Of(answer) };
        }

        var (read, shared) = await misses.ReadAsync(account, id, arrival, renderRow ??= RenderRowAsync, cancellationToken);
        if (read is null)
        {
            throw await DescribeMissAsync(account, id, cancellationToken);
        }

        metrics.ReadCacheDescribed(shared ? ReadCacheAnswer.Shared
            : epoch is not { } seen ? ReadCacheAnswer.Unkept
            : kept.Keep(account, id, read, seen) ? ReadCacheAnswer.Read
            : ReadCacheAnswer.Refused);

        return new JsonObject { [id.Kind.WireName] = RawJson.Of(read) };
    }

    /// <summary><see cref="RenderRowAsync"/>, made once: passed to every missed Describe.</summary>
    private Func<string, ResourceId, CancellationToken, Task<byte[]?>>? renderRow;

    private Task<byte[]?> RenderRowAsync(string account, ResourceId id, CancellationToken cancellationToken) =>
        DataRow.RenderAsync(view, reads, account, id, cancellationToken);

    /// <summary><see cref="DescribeMissAsync"/>, made once: passed to every Describe.</summary>
    private Func<string, ResourceId, CancellationToken, Task<AppMeshException>>? describeMiss;

    /// <summary>What a Describe that found no row answers. Only a miss needs a context: to name what is missing (the resource, or its mesh or parent).</summary>
    private async Task<AppMeshException> DescribeMissAsync(string account, ResourceId id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await MissingAsync(account, db, id, cancellationToken);
    }

    /// <remarks>
    /// Not an async method: it only hands the write to <see cref="WriteTransactions"/>, and an async method that waits
    /// for it allocates its state machine's box for nothing (issue14aw). A refusal of the input is thrown to the
    /// endpoint, which calls and awaits it inside one handler.
    /// </remarks>
    public Task<JsonObject> UpdateAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        var spec = SpecOf(input);
        CheckSpec(kind, spec);
        var specUtf8 = Utf8Of(spec);

        var dependencies = WriteDependencies.Of(kind, id, spec);
        var now = clock.GetUtcNow();
        var token = Idempotency.For(call.Operation, input, now);
        // An update keeps the row's tags; the answer does not show them.
        var entity = WrittenEntity(call, kind, id, "[]", dependencies, now);

        return writes.RunAsync(call, id.Describe(),
            () => UpdateStatement.Rent()
                .Text(account).Text(id.MeshName).Text(kind.WireName).Text(id.ParentName).Text(id.Name).Utf8Text(specUtf8).TextArray(entity.Refs).Value(now)
                .TextArray(dependencies.Kinds).TextArray(dependencies.Parents).TextArray(dependencies.Names).Value(dependencies.Containers)
                .Value(dependencies.ChecksRoutePort).Integer(dependencies.MatchPort)
                .Text(token.Token).Text(token.Operation).Text(token.Hash).Value(token.Cutoff),
            row =>
            {
                if (Idempotency.Replayed(row![0]) is { } stored)
                {
                    return stored;
                }

                if (row[6] is { } replayedAt)
                {
                    // The same request as the first (its hash is the record's): the same answer, with the uid, version and
                    // creation time the first wrote and its time; the arn and owner are the API's own, as the row's were.
                    entity.LastUpdatedAt = ResourceRows.AsOffset(replayedAt);
                }
                else
                {
                    entity.Arn = (string)row[1]!;
                    entity.ResourceOwner = (string)row[4]!;
                }

                entity.Uid = (Guid)row[2]!;
                entity.Version = (long)row[3]!;
                entity.CreatedAt = ResourceRows.AsOffset(row[5]!);
                return WrittenAnswer.Of(view, kind, entity, specUtf8, ResourceView.Active).Output(kind);
            },
            error => dependencies.Refusal(error) ?? token.Refusal(error),
            cancellationToken);
    }

    /// <remarks>Not an async method, as <see cref="UpdateAsync"/> is not.</remarks>
    public Task<JsonObject> DeleteAsync(ApiCall call, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var account = call.AccountId;
        var id = IdentityOf(account, kind, input);
        var containers = WriteDependencies.ContainersOf(kind, id);
        var childKind = ResourceKind.All.FirstOrDefault(k => k.Parent == kind);
        var refsKey = kind.IsMesh ? null : $"{account}/{id.MeshName}/{SpecReference.ToKey(kind, id.Name)}";
        var now = clock.GetUtcNow();
        return writes.RunAsync(call, id.Describe(),
            () => DeleteStatement.Rent()
                .Text(account).Text(id.MeshName).Text(kind.WireName).Text(id.ParentName).Text(id.Name).Value(now)
                .TextArray(containers.Kinds).TextArray(containers.Parents).TextArray(containers.Names)
                .Text(childKind?.WireName).Text(refsKey).Value(NamedInMessages + 1).Text(QuotaCounter.ScopeOf(id).Mesh).Value(QuotaCounter.PickShard()),
            row =>
            {
                // App Mesh answers a delete with the resource as it was, marked DELETED at the time of deletion.
                var entity = new ResourceEntity
                {
                    Id = (long)row![0]!,
                    AccountId = account,
                    MeshName = id.MeshName,
                    Kind = kind.WireName,
                    ParentName = id.ParentName,
                    Name = id.Name,
                    Arn = (string)row[1]!,
                    Uid = (Guid)row[2]!,
                    Version = (long)row[3]!,
                    Spec = (string)row[4]!,
                    Tags = (string)row[5]!,
                    Refs = (string[])row[6]!,
                    ResourceOwner = (string)row[7]!,
                    CreatedAt = ResourceRows.AsOffset(row[8]!),
                    LastUpdatedAt = now,
                };

                // The stored spec is jsonb's text (spaced, members in jsonb's order): parsed and written compactly, as
                // Describe writes it.
                using var spec = JsonDocument.Parse(entity.Spec);
                return WrittenAnswer.Of(view, kind, entity, spec.RootElement, ResourceView.Deleted).Output(kind);
            },
            error => containers.Refusal(error) ?? InUseRefusal(kind, id, childKind, error),
            cancellationToken);
    }

    public Task<JsonObject> ListAsync(string account, ResourceKind kind, JsonObject input, CancellationToken cancellationToken)
    {
        var meshName = kind.IsMesh ? "" : input["meshName"]!.GetValue<string>();
        var parentName = kind.Parent is { } p ? input[p.NameMember]!.GetValue<string>() : "";
        CheckMeshOwner(account, input);
        var limit = (int)(input["limit"]?.GetValue<long>() ?? ListRequest.DefaultLimit);
        return ListAsync(account, new ListRequest(kind, meshName, parentName, limit, input["nextToken"]?.GetValue<string>()), cancellationToken);
    }

    /// <summary>One page of <paramref name="request"/>'s list in <paramref name="account"/> (its meshOwner already checked).</summary>
    public async Task<JsonObject> ListAsync(string account, ListRequest request, CancellationToken cancellationToken)
    {
        var kind = request.Kind;
        var after = request.NextToken is { } token
            ? await pageTokens.ReadAsync(token, PageScope(request), cancellationToken)
            : null;

        // The items are written into a pooled buffer (about 300 bytes each), which goes back to the pool once the
        // answer is sent (RawJson.ReturnRented). A page whose items are all kept (RenderedPerVersion) is one statement
        // that reads the rows' uid, version and name (ListKeys: three columns of each row instead of seven); at
        // the first row whose item is not kept, the page is read again whole by one statement whose rows make every
        // item (ReadPageAsync), so a page never mixes two statements' rows. The kept page's read is written out here,
        // not awaited as a method of its own: a warm page waits for PostgreSQL, and each async method between Npgsql
        // and the endpoint allocates its state machine's box when the call waits (issue14ao). A resource exists only
        // while its mesh and parent do (a delete refuses while children remain), so a page with items proves its
        // container exists; only an empty page asks whether the mesh or parent is there at all (below).
        var items = RenderBuffers.Rent();
        var count = 0;
        string? lastName = null;
        try
        {
            var complete = true;
            var parameters = ListParameters(account, request, after);
            var listed = view.Listed;

            // The parameter set's own command, kept with it for the next page (ReadParameters): not disposed.
            await using (var reader = await parameters.Command(reads, ListKeys.For(kind, after)).ExecuteReaderAsync(cancellationToken))
            {
                // The array is written as a Utf8JsonWriter with the items' options writes it (no indentation: '[', the
                // items' bytes with ',' between them, ']'), without a writer of its own per page.
                items.Write("["u8);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (++count > request.Limit)
                    {
                        break; // the row past the page only says that there is a next page
                    }

                    if (!listed.TryGet(reader.GetGuid(RefRow.UidOrdinal), reader.GetInt64(RefRow.VersionOrdinal), out var item))
                    {
                        complete = false;
                        break;
                    }

                    if (count > 1)
                    {
                        items.Write(","u8);
                    }

                    items.Write(item);
                    if (count == request.Limit)
                    {
                        lastName = reader.GetString(RefRow.NameOrdinal); // where the next page starts, if there is one
                    }
                }
            }

            parameters.Release(); // the reader is closed
            if (complete)
            {
                items.Write("]"u8);
            }
            else
            {
                items.ResetWrittenCount();
                (count, lastName) = await ReadPageAsync(account, request, after, items, cancellationToken);
            }
        }
        catch
        {
            RenderBuffers.Return(items);
            throw;
        }

        var container = count > 0 ? null
            : kind.Parent is { } parentKind ? new ResourceId(parentKind, request.MeshName, "", request.ParentName)
            : kind.IsMesh ? null : ResourceId.ForMesh(request.MeshName);
        if (container is not null)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (await FindAsync(account, db, container, cancellationToken) is null)
            {
                RenderBuffers.Return(items);
                throw await MissingAsync(account, db, container, cancellationToken);
            }
        }

        var output = new JsonObject { [kind.ListMember] = RawJson.OfRented(items) };
        if (count > request.Limit)
        {
            output["nextToken"] = await pageTokens.IssueAsync(PageScope(request), lastName!, cancellationToken);
        }

        return output;
    }

    /// <summary>
    /// How many rows a page's statement gave (one more than the limit when there is a next page) and the name of the
    /// page's last item when there is a next page (where it starts).
    /// </summary>
    private readonly record struct ListedPage(int Count, string? LastName);

    /// <summary>
    /// The page written into <paramref name="items"/> from a statement of <see cref="RefRow.Columns"/>: each item the
    /// bytes kept for its row's uid and version (<see cref="RenderedPerVersion"/>), or, when not kept, read (its text
    /// through one scratch buffer), rendered and kept, with what the page's items share (<see cref="RefPage"/>)
    /// encoded on the first such item.
    /// </summary>
    private async Task<ListedPage> ReadPageAsync(string account, ListRequest request, string? after, ArrayBufferWriter<byte> items,
        CancellationToken cancellationToken)
    {
        var (kind, meshName, parentName, limit, _) = request;
        var parameters = ListParameters(account, request, after);
        var scratch = ArrayPool<byte>.Shared.Rent(RowScratchBytes);
        RefPage? page = null;
        var refs = view.Refs(kind);
        var listed = view.Listed;
        ArrayBufferWriter<byte>? itemBuffer = null;
        Utf8JsonWriter? itemWriter = null;
        var count = 0;
        string? lastName = null;
        try
        {
            // The parameter set's own command, kept with it for the next page (ReadParameters): not disposed.
            await using var reader = await parameters.Command(reads, ListRows.For(kind, after)).ExecuteReaderAsync(cancellationToken);
            items.Write("["u8);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (++count > limit)
                {
                    break;
                }

                var uid = reader.GetGuid(RefRow.UidOrdinal);
                var version = reader.GetInt64(RefRow.VersionOrdinal);
                if (!listed.TryGet(uid, version, out var item))
                {
                    page ??= new RefPage(account, kind.IsMesh ? null : meshName, parentName);
                    item = refs.Render(RefRow.Read(reader, page, scratch), itemBuffer ??= RenderBuffers.Rent(), ref itemWriter);
                    listed.Keep(uid, version, item);
                }

                if (count > 1)
                {
                    items.Write(","u8);
                }

                items.Write(item);
                if (count == limit)
                {
                    lastName = reader.GetString(RefRow.NameOrdinal);
                }
            }

            items.Write("]"u8);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            itemWriter?.Dispose();
            if (itemBuffer is not null)
            {
                RenderBuffers.Return(itemBuffer);
            }
        }

        parameters.Release(); // the reader is closed and the page read
        return new ListedPage(count, lastName);
    }

    /// <summary>The list a page token is issued for and checked against: made only for a page with a token.</summary>
    private static string PageScope(ListRequest request) => $"{request.Kind.WireName}/{request.MeshName}/{request.ParentName}";

    /// <summary>
    /// A list statement's parameters: $1 account, $2 kind, $3 parent, $4 the limit + 1 (the row past the page says
    /// there is a next one), then the mesh (not for meshes: a mesh row's mesh_name is its own name) and the name the
    /// page starts after, when there is one.
    /// </summary>
    private static ReadParameters ListParameters(string account, ListRequest request, string? after)
    {
        var parameters = ListSets.Rent().Text(account).Text(request.Kind.WireName).Text(request.ParentName).Value(request.Limit + 1);
        if (!request.Kind.IsMesh)
        {
            parameters.Text(request.MeshName);
        }

        if (after is not null)
        {
            parameters.Text(after);
        }

        return parameters;
    }

    /// <summary>The list statements' parameters (<see cref="ListParameters"/>), kept between calls.</summary>
    private static readonly ReadParameterSets ListSets = new();

    /// <summary>A page's keys: what a page of kept items reads.</summary>
    internal static readonly ListStatement ListKeys = new(RefRow.KeyColumns);

    /// <summary>A page's rows: what a page with an item not kept reads.</summary>
    private static readonly ListStatement ListRows = new(RefRow.Columns);

    /// <summary>
    /// One list statement of <paramref name="columns"/> in its four forms: meshes or a kind in a mesh, from the first
    /// name or after a page token's. The name columns use the "C" collation, so name > $n is byte-wise, like the ORDER BY.
    /// In a mesh, every condition and the order are the identity index's (account, mesh, kind, parent, name).
    /// </summary>
    internal sealed class ListStatement(string columns)
    {
        private const string Where = "account_id = $1 AND kind = $2 AND parent_name = $3";
        private const string Order = " ORDER BY name LIMIT $4";

        private readonly string meshes = $"SELECT {columns} FROM resources WHERE {Where}{Order}";
        private readonly string meshesAfter = $"SELECT {columns} FROM resources WHERE {Where} AND name > $5{Order}";
        private readonly string inMesh = $"SELECT {columns} FROM resources WHERE {Where} AND mesh_name = $5{Order}";
        private readonly string inMeshAfter = $"SELECT {columns} FROM resources WHERE {Where} AND mesh_name = $5 AND name > $6{Order}";

        public string For(ResourceKind kind, string? after) => (kind.IsMesh, after is not null) switch
        {
            (true, false) => meshes,
            (true, true) => meshesAfter,
            (false, false) => inMesh,
            (false, true) => inMeshAfter,
        };
    }

    /// <summary>
    /// Room for one list row's text (name, ARN and owner as UTF-8; names are at most 255 characters, an ARN three
    /// names and its prefix): a longer row is still read, as strings.
    /// </summary>
    private const int RowScratchBytes = 8 * 1024;

    /// <summary>
    /// The request's spec, read where it is: it is only checked and serialized (once, for the row and the answer),
    /// never changed or attached to another tree, so it is not copied.
    /// </summary>
    private static JsonObject SpecOf(JsonObject input) => (JsonObject?)input["spec"] ?? [];

    /// <summary>
    /// The request's spec written once, compactly (as <c>ToJsonString()</c> writes it): the write sends these bytes as the
    /// row's text (<see cref="WriteParameters.Utf8Text"/>), and the answer copies them (<see cref="WrittenAnswer"/>).
    /// </summary>
    private static byte[] Utf8Of(JsonNode spec)
    {
        var buffer = RenderBuffers.Rent();
        try
        {
            var writer = JsonWriters.Rent(buffer);
            spec.WriteTo(writer);
            JsonWriters.Return(writer);

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            RenderBuffers.Return(buffer);
        }
    }

    private static ResourceId IdentityOf(string account, ResourceKind kind, JsonObject input)
    {
        CheckMeshOwner(account, input);
        // The mesh's name, the resource's own (a mesh's is the mesh name) and its parent's, each checked once.
        var names = new List<Violation>();
        CheckName(input, "meshName", names);
        if (!kind.IsMesh)
        {
            CheckName(input, kind.NameMember, names);
        }

        if (kind.Parent is { } parent)
        {
            CheckName(input, parent.NameMember, names);
        }

        if (names.Count > 0)
        {
            throw AppMeshException.Invalid(names);
        }

        var mesh = input["meshName"]!.GetValue<string>();
        return kind.IsMesh
            ? ResourceId.ForMesh(mesh)
            : new ResourceId(kind, mesh, kind.Parent is { } p ? input[p.NameMember]!.GetValue<string>() : "", input[kind.NameMember]!.GetValue<string>());
    }

    private static void CheckName(JsonObject input, string member, List<Violation> names)
    {
        if (input[member]?.GetValue<string>() is { } name)
        {
            ResourceNames.Check(member, name, names);
        }
    }

    private static void CheckMeshOwner(string account, JsonObject input)
    {
        if (input["meshOwner"]?.GetValue<string>() is { } owner && owner != account)
        {
            var mesh = input["meshName"]?.GetValue<string>();
            throw AppMeshException.NotFound($"Mesh '{mesh}' owned by account {owner} was not found; you are account {account}.");
        }
    }

    private void CheckSpec(ResourceKind kind, JsonObject spec)
    {
        var violations = SpecRules.Check(kind, spec);
        if (violations.Count > 0)
        {
            throw AppMeshException.Invalid(violations);
        }

        if (kind == ResourceKind.VirtualNode && spec["backends"] is JsonArray backends && backends.Count > Options.Quotas.BackendsPerVirtualNode)
        {
            throw AppMeshException.LimitExceeded(
                $"spec.backends: a virtual node may have at most {Options.Quotas.BackendsPerVirtualNode} backends, got {backends.Count}.");
        }
    }

    /// <summary>The quota a new resource of <paramref name="kind"/> counts in, and its scope as error messages name it.</summary>
    private (int Limit, string Scope) QuotaOf(ResourceKind kind, ResourceId id)
    {
        var quotas = Options.Quotas;
        return kind.WireName switch
        {
            "mesh" => (quotas.MeshesPerAccount, "meshes in this account"),
            "virtualNode" => (quotas.VirtualNodesPerMesh, $"virtual nodes in mesh '{id.MeshName}'"),
            "virtualService" => (quotas.VirtualServicesPerMesh, $"virtual services in mesh '{id.MeshName}'"),
            "virtualRouter" => (quotas.VirtualRoutersPerMesh, $"virtual routers in mesh '{id.MeshName}'"),
            "virtualGateway" => (quotas.VirtualGatewaysPerMesh, $"virtual gateways in mesh '{id.MeshName}'"),
            "route" => (quotas.RoutesPerVirtualRouter, $"routes in virtual router '{id.ParentName}'"),
            "gatewayRoute" => (quotas.GatewayRoutesPerVirtualGateway, $"gateway routes in virtual gateway '{id.ParentName}'"),
            _ => throw new InvalidOperationException(kind.WireName),
        };
    }

    /// <summary>
    /// The ResourceInUseException for a delete the function refused (<see cref="WriteRefusals.InUse"/>): what keeps the
    /// resource from being deleted, in the order it is checked: a mesh's resources; a router's routes or a gateway's
    /// gateway routes; the resources whose specs name it. The function lists the first few and how many there are.
    /// </summary>
    private static AppMeshException? InUseRefusal(ResourceKind kind, ResourceId id, ResourceKind? childKind, Exception error)
    {
        if (WriteRefusals.Facts(error, WriteRefusals.InUse) is not { } facts)
        {
            return null;
        }

        var space = facts.IndexOf(' ');
        var rows = JsonNode.Parse(facts[(space + 1)..])!.AsArray()
            .Select(row => new object?[] { row![0]!.GetValue<string>(), row[1]!.GetValue<string>(), row[2]!.GetValue<string>(), row[3]!.GetValue<long>() })
            .ToList();
        var total = (int)(long)rows[0][3]!;
        return facts[..space] switch
        {
            "contents" => AppMeshException.ResourceInUse(
                $"Mesh '{id.MeshName}' still contains {total} resource{(total == 1 ? "" : "s")}: {NameSome(DescribeRows(id, rows), total)}; delete them first."),
            "children" => AppMeshException.ResourceInUse(
                $"{Capitalize(id.Describe())} still has {total} {ResourceId.Noun(childKind!, total)}: {NameSome(rows.Select(r => (string)r[2]!), total)}; delete them first."),
            _ => AppMeshException.ResourceInUse($"{Capitalize(id.Describe())} is in use by {NameSome(DescribeRows(id, rows), total)}."),
        };
    }

    private static IEnumerable<string> DescribeRows(ResourceId id, IReadOnlyList<object?[]> rows) =>
        rows.Select(r => new ResourceId(ResourceKind.FromWireName((string)r[0]!), id.MeshName, (string)r[1]!, (string)r[2]!).DescribeInMesh());

    /// <summary>How many dependents a ResourceInUseException names before it says how many more there are.</summary>
    private const int NamedInMessages = 10;

    private static string NameSome(IEnumerable<string> names, int total)
    {
        var named = names.Take(NamedInMessages).ToList();
        return total > named.Count
            ? $"{string.Join(", ", named)} and {total - named.Count} more"
            : string.Join(", ", named);
    }

    /// <summary>
    /// The NotFoundException for a resource that is not there, naming the first missing link: "mesh 'x' does not
    /// exist" helps more than "route 'y' of virtual router 'z' in mesh 'x' does not exist".
    /// </summary>
    private static async Task<AppMeshException> MissingAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct)
    {
        if (!id.Kind.IsMesh)
        {
            var mesh = ResourceId.ForMesh(id.MeshName);
            if (await FindAsync(account, db, mesh, ct) is null)
            {
                return AppMeshException.NotFound($"{Capitalize(mesh.Describe())} does not exist.");
            }

            if (id.Kind.Parent is { } parentKind)
            {
                var parent = new ResourceId(parentKind, id.MeshName, "", id.ParentName);
                if (await FindAsync(account, db, parent, ct) is null)
                {
                    return AppMeshException.NotFound($"{Capitalize(parent.Describe())} does not exist.");
                }
            }
        }

        return AppMeshException.NotFound($"{Capitalize(id.Describe())} does not exist.");
    }

    /// <summary>
    /// The resource, or null: one primary-key-like lookup through Npgsql on the context's connection (and its
    /// transaction, if any), without EF Core's per-call query translation.
    /// </summary>
    private static async Task<ResourceEntity?> FindAsync(string account, MeshDbContext db, ResourceId id, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT {ResourceRows.Columns} FROM resources
            WHERE account_id = $1 AND mesh_name = $2 AND kind = $3 AND parent_name = $4 AND name = $5
            """, (NpgsqlConnection)db.Database.GetDbConnection())
        {
            Parameters =
            {
                new() { Value = account }, new() { Value = id.MeshName }, new() { Value = id.Kind.WireName },
                new() { Value = id.ParentName }, new() { Value = id.Name },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ResourceRows.From(reader) : null;
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
