using System.Buffers;
using System.Text.Json;

namespace Mesh.ApiLoad;

/// <summary>
/// The write cells' bodies (a virtual node's create and update, with <see cref="Specs.Node"/>'s spec) written straight to
/// UTF-8: the same bytes as <c>JsonSerializer.SerializeToUtf8Bytes</c> of the same <c>JsonObject</c>, which the cells
/// built and serialized on every call (a tree of about twenty nodes, then the serializer's buffer) on the two cores the
/// API and PostgreSQL are measured on (docs/benchmarks.md, issue14be).
/// </summary>
/// <remarks>
/// The members are written in the order the cells' objects held them, by a writer with the serializer's default options
/// (compact, the default encoder), so every byte is the same; <c>NodeBodiesTests</c> compares them.
/// </remarks>
internal static class NodeBodies
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    /// <summary><c>{"virtualNodeName": name, "spec": Specs.Node(host, port), "clientToken": token}</c>, the token left out when null.</summary>
    public static byte[] Create(string name, string host, string? clientToken, int port = Specs.NodePort)
    {
        var json = Start();
        json.WriteStartObject();
        json.WriteString("virtualNodeName", name);
        json.WritePropertyName("spec");
        WriteNodeSpec(json, host, port);
        WriteToken(json, clientToken);
        json.WriteEndObject();
        return Finish(json);
    }

    /// <summary><c>{"spec": Specs.Node(host, port), "clientToken": token}</c>, the token left out when null.</summary>
    public static byte[] Update(string host, int port, string? clientToken)
    {
        var json = Start();
        json.WriteStartObject();
        json.WritePropertyName("spec");
        WriteNodeSpec(json, host, port);
        WriteToken(json, clientToken);
        json.WriteEndObject();
        return Finish(json);
    }

    /// <summary><see cref="Specs.Node"/>'s members, in its order.</summary>
    private static void WriteNodeSpec(Utf8JsonWriter json, string host, int port)
    {
        json.WriteStartObject();
        json.WriteStartArray("listeners");
        json.WriteStartObject();
        json.WriteStartObject("portMapping");
        json.WriteNumber("port", port);
        json.WriteString("protocol", "http");
        json.WriteEndObject();
        json.WriteStartObject("healthCheck");
        json.WriteString("protocol", "http");
        json.WriteString("path", "/health");
        json.WriteNumber("healthyThreshold", 2);
        json.WriteNumber("unhealthyThreshold", 3);
        json.WriteNumber("timeoutMillis", 2000);
        json.WriteNumber("intervalMillis", 5000);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("serviceDiscovery");
        json.WriteStartObject("dns");
        json.WriteString("hostname", host);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter json, string? clientToken)
    {
        if (clientToken is not null)
        {
            json.WriteString("clientToken", clientToken);
        }
    }

    /// <summary>The thread's writer, over its buffer emptied: one call at a time per thread, as a body is written in one go.</summary>
    private static Utf8JsonWriter Start()
    {
        var bytes = buffer ??= new ArrayBufferWriter<byte>(1024);
        bytes.ResetWrittenCount();
        if (writer is { } kept)
        {
            kept.Reset(bytes);
            return kept;
        }

        return writer = new Utf8JsonWriter(bytes);
    }

    private static byte[] Finish(Utf8JsonWriter json)
    {
        json.Flush();
        return buffer!.WrittenSpan.ToArray();
    }
}
