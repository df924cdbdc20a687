using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>
/// The JSON of the report (camelCase), shared by the endpoint, the peers and the command. Reading a report refuses
/// null where the records' annotations say a value is never null (a proxy's <c>nodeId</c>, a warning's <c>kind</c>):
/// the merge and the command's table would fail on it, so such a replica is named unreachable instead.
/// </summary>
public static class ProxyStatusJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        RespectNullableAnnotations = true,
    };
}
