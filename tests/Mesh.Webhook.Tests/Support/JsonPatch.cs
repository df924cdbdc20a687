using System.Text.Json.Nodes;

namespace Mesh.Webhook.Tests.Support;

/// <summary>
/// Applies the "add" operations of an RFC 6902 patch the way the API server does, so a test can look at the pod the
/// API server would store. Any other operation fails the test: the webhook is meant to only add.
/// </summary>
public static class JsonPatch
{
    public static JsonObject Apply(JsonObject document, JsonArray patch)
    {
        var result = document.DeepClone().AsObject();
        foreach (var operation in patch.Select(o => o!.AsObject()))
        {
            Assert.Equal("add", operation["op"]!.GetValue<string>());
            var segments = operation["path"]!.GetValue<string>().Split('/')[1..]
                .Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();
            JsonNode parent = result;
            foreach (var segment in segments[..^1])
            {
                parent = parent is JsonArray array ? array[int.Parse(segment)]! : parent[segment]
                    ?? throw new InvalidOperationException($"{operation["path"]}: '{segment}' does not exist");
            }

            var value = operation["value"]!.DeepClone();
            var last = segments[^1];
            switch (parent)
            {
                case JsonArray array when last == "-":
                    array.Add(value);
                    break;
                case JsonArray array:
                    array.Insert(int.Parse(last), value);
                    break;
                case JsonObject obj:
                    obj[last] = value;
                    break;
            }
        }

        return result;
    }
}
