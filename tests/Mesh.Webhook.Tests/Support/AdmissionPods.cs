using System.Text.Json.Nodes;

namespace Mesh.Webhook.Tests.Support;

public static class AdmissionPods
{
    /// <summary>A minimal pod with one application container and the given annotations.</summary>
    public static JsonObject Annotated(params (string Name, string Value)[] annotations) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject
        {
            ["name"] = "cart-7d9f",
            ["namespace"] = "shop",
            ["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)a.Value))),
        },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "shop/cart:1" }),
        },
    };
}
