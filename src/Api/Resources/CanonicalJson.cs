using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;

namespace Mesh.Api.Resources;

/// <summary>JSON with object keys sorted, so that equal requests hash equally whatever their member order.</summary>
public static class CanonicalJson
{
    public static string Hash(JsonNode node) => Hash(writer => Write(writer, node));

    /// <summary>
    /// The hash of <c>{"input": <paramref name="input"/> without its member <paramref name="left"/>, "operation":
    /// <paramref name="operation"/>}</c>, written canonically: the same as <see cref="Hash(JsonNode)"/> of that object,
    /// without copying the input to build it (a write's request is hashed for its clientToken on every call).
    /// </summary>
    public static string HashRequest(string operation, JsonObject input, string left) => Hash(writer =>
    {
        // Sorted as Write sorts: "input" < "operation".
        writer.WriteStartObject();
        writer.WritePropertyName("input");
        WriteObject(writer, input, left);
        writer.WriteString("operation", operation);
        writer.WriteEndObject();
    });

    private static string Hash(Action<Utf8JsonWriter> write)
    {
        // A pooled buffer: a write's request is a KiB or two, so a new one grew once or twice on every call.
        var buffer = RenderBuffers.Rent();
        try
        {
            var writer = JsonWriters.Rent(buffer);
            write(writer);
            JsonWriters.Return(writer);

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.WrittenSpan, hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            RenderBuffers.Return(buffer);
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                WriteObject(writer, obj, left: null);
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonObject obj, string? left)
    {
        writer.WriteStartObject();
        if (InOrder(obj))
        {
            // Most objects arrive with their members in order already (or have one): written as they are, without
            // sorting a copy of the members for each object of each request.
            for (var i = 0; i < obj.Count; i++)
            {
                var (key, value) = obj.GetAt(i);
                WriteMember(writer, key, value, left);
            }
        }
        else
        {
            foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                WriteMember(writer, key, value, left);
            }
        }

        writer.WriteEndObject();
    }

    private static bool InOrder(JsonObject obj)
    {
        // By index: enumerating a JsonObject allocates an enumerator each time.
        for (var i = 1; i < obj.Count; i++)
        {
            if (string.CompareOrdinal(obj.GetAt(i - 1).Key, obj.GetAt(i).Key) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteMember(Utf8JsonWriter writer, string key, JsonNode? value, string? left)
    {
        if (key == left)
        {
            return;
        }

        writer.WritePropertyName(key);
        Write(writer, value);
    }
}
