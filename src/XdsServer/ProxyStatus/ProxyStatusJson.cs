using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.XdsServer.ProxyStatus;

/// <summary>
/// The JSON of the report (camelCase), shared by the endpoint, the peers and the command. A replica's report is read
/// through <see cref="ProxyStatusReport.ReadAsync"/>, which names one holding null where the records never do.
/// </summary>
public static class ProxyStatusJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
