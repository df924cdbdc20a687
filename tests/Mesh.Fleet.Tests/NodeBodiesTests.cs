using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.ApiLoad;

namespace Mesh.Fleet.Tests;

/// <summary>
/// The API load client's write bodies, written straight to bytes (<see cref="NodeBodies"/>), must be exactly what it sent
/// before, the serialized objects, so the API receives the same requests; and writing one must cost the client no
/// more than the body's own array.
/// </summary>
public class NodeBodiesTests
{
    [Theory]
    [InlineData("w3-17", "w3-17.load-120000-c8-one.local", "6f1c2a7e-0b9f-4c55-9d43-2d1e8c7f3b10", Specs.NodePort)]
    [InlineData("n0", "n0.local", null, Specs.NodePort)]
    [InlineData("node-99", "node-99.load-120000-read.local", "t", 8999)]
    public void Create_IsTheSerializedObjectsBytes(string name, string host, string? token, int port)
    {
        var body = new JsonObject { ["virtualNodeName"] = name, ["spec"] = Specs.Node(host, port) };
        if (token is not null)
        {
            body["clientToken"] = token;
        }

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(body), NodeBodies.Create(name, host, token, port));
    }

    [Theory]
    [InlineData("updated-5.local", 8005, "6f1c2a7e-0b9f-4c55-9d43-2d1e8c7f3b10")]
    [InlineData("node-3.load-120000-read.local", 8999, null)]
    public void Update_IsTheSerializedObjectsBytes(string host, int port, string? token)
    {
        var body = new JsonObject { ["spec"] = Specs.Node(host, port) };
        if (token is not null)
        {
            body["clientToken"] = token;
        }

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(body), NodeBodies.Update(host, port, token));
        // A create written before, on the same thread's writer, leaves nothing behind.
        NodeBodies.Create("other", "other.local", "x");
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(body), NodeBodies.Update(host, port, token));
    }

    [Fact]
    public void WritingABody_AllocatesItsArrayAndNoTree()
    {
        const string token = "6f1c2a7e-0b9f-4c55-9d43-2d1e8c7f3b10";
        NodeBodies.Create("w0-0", "w0-0.mesh.local", token); // the thread's writer and buffer, made once
        var before = GC.GetAllocatedBytesForCurrentThread();

        var body = NodeBodies.Create("w0-1", "w0-1.mesh.local", token);

        // The body's array (its bytes and an array's header); the object and its serialization took several KB.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 1, body.Length + 64);
    }
}
