using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>The JSON of the report (camelCase), shared by the endpoint, the peers and the command.</summary>
public static class ProxyStatusJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
