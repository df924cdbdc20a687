using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Mesh.Api.Protocol;
using Mesh.Api.Resources;
using Mesh.Model.Resources;
using Mesh.Model.Wire;
using Mesh.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Mesh.Benchmarks;

/// <summary>
/// The pieces of a create and an update of a virtual node that the API runs before and after PostgreSQL, without the
/// network: the body as <c>Mesh.ApiLoad</c> sends it read into a tree, bound and checked against the model, what the
/// write depends on, the clientToken's hash and the answer. Bytes per call are exact (the memory diagnoser), so a cut
/// of one piece is seen without the load a whole call runs under (issue14ar).
/// </summary>
[MemoryDiagnoser]
public class WritePathBenchmarks
{
    private const string Mesh = "bench-mesh";

    private static readonly ServiceModel Model = ServiceModel.AppMesh;
    private readonly RequestBinder binder = new(Model, new ShapeValidator(Model));
    private readonly KnownStrings known = KnownStrings.Of(Model);
    private readonly ResourceView view = new(Model);
    private readonly Operation create = Model.OperationsByName["CreateVirtualNode"];
    private readonly Operation update = Model.OperationsByName["UpdateVirtualNode"];

    private byte[] createBody = [];
    private HttpContext createCall = null!;
    private HttpContext updateCall = null!;
    private JsonObject createInput = null!;
    private byte[] specUtf8 = [];
    private ResourceEntity entity = null!;

    [GlobalSetup]
    public void Setup()
    {
        createBody = Body(new JsonObject
        {
            ["virtualNodeName"] = "w3-17", ["spec"] = Spec("w3-17.bench-mesh.local"), ["clientToken"] = "6c1d3f0e-8a47-4b8e-9d55-2f6a3c1b9e70",
        });
        createCall = Call("/v20190125/meshes/" + Mesh + "/virtualNodes", createBody, ("meshName", Mesh));
        updateCall = Call("/v20190125/meshes/" + Mesh + "/virtualNodes/w3-17",
            Body(new JsonObject { ["spec"] = Spec("updated-17.local"), ["clientToken"] = "0b7e2d41-5c93-4f1a-8e6d-93a0c4b2f718" }),
            ("meshName", Mesh), ("virtualNodeName", "w3-17"));
        createInput = BindCreate();
        specUtf8 = Encoding.UTF8.GetBytes(createInput["spec"]!.ToJsonString());
        entity = new ResourceEntity
        {
            AccountId = "111122223333", MeshName = Mesh, Kind = ResourceKind.VirtualNode.WireName, ParentName = "", Name = "w3-17",
            Arn = $"arn:aws:appmesh:us-east-1:111122223333:mesh/{Mesh}/virtualNode/w3-17", Spec = "", Tags = "[]",
            ResourceOwner = "111122223333", Uid = Guid.NewGuid(), Version = 1, CreatedAt = DateTimeOffset.UtcNow, LastUpdatedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>The create's body read into a tree (<see cref="RequestJson"/>), as the binder reads it.</summary>
    [Benchmark]
    public JsonObject ReadCreateBody() => RequestJson.ReadObject(createBody, known);

    /// <summary>The same body with every member name and string decoded into a string of its own (as before issue14ar).</summary>
    [Benchmark]
    public JsonObject ReadCreateBodyDecodingEveryString() => RequestJson.ReadObject(createBody);

    /// <summary>The create bound: its body read, its label taken, the whole input checked against the model.</summary>
    [Benchmark]
    public JsonObject BindCreate() => binder.BindAsync(create, createCall, CancellationToken.None).GetAwaiter().GetResult();

    [Benchmark]
    public JsonObject BindUpdate() => binder.BindAsync(update, updateCall, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>What the create depends on, as the write function's parameters take it.</summary>
    [Benchmark]
    public int Dependencies()
    {
        var dependencies = WriteDependencies.Of(ResourceKind.VirtualNode, new ResourceId(ResourceKind.VirtualNode, Mesh, "", "w3-17"), (JsonObject)createInput["spec"]!);
        return dependencies.Kinds.Length + dependencies.Parents.Length + dependencies.Names.Length + dependencies.Keys.Length;
    }

    /// <summary>The clientToken checked and the request hashed for its record.</summary>
    [Benchmark]
    public string ClientToken() => Idempotency.For("CreateVirtualNode", createInput, DateTimeOffset.UtcNow).Hash;

    /// <summary>The answer written from the row and the spec's bytes, as the endpoint is handed it.</summary>
    [Benchmark]
    public JsonObject Answer() => WrittenAnswer.Of(view, ResourceKind.VirtualNode, entity, specUtf8, ResourceView.Active).Output(ResourceKind.VirtualNode);

    private static JsonObject Spec(string host) => new()
    {
        ["listeners"] = new JsonArray(new JsonObject
        {
            ["portMapping"] = new JsonObject { ["port"] = 8080, ["protocol"] = "http" },
            ["healthCheck"] = new JsonObject
            {
                ["protocol"] = "http", ["path"] = "/health", ["healthyThreshold"] = 2, ["unhealthyThreshold"] = 3,
                ["timeoutMillis"] = 2000, ["intervalMillis"] = 5000,
            },
        }),
        ["serviceDiscovery"] = new JsonObject { ["dns"] = new JsonObject { ["hostname"] = host } },
    };

    private static byte[] Body(JsonObject body) => Encoding.UTF8.GetBytes(body.ToJsonString());

    /// <summary>A request as Kestrel and routing hand it to the endpoint, its body already read (as SigV4 reads it).</summary>
    private static HttpContext Call(string target, byte[] body, params (string Name, string Value)[] labels)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "PUT";
        context.Request.Path = target;
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        foreach (var (name, value) in labels)
        {
            context.Request.RouteValues[name] = value;
        }

        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        RequestBody.OfAsync(context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return context;
    }
}
