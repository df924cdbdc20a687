using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mesh.Security;

/// <summary>
/// What an access key may do: IAM-style allow-statements, small on purpose. Anything no statement
/// allows is denied. Action and resource patterns use '*' (any run of characters) and '?' (one).
/// </summary>
public sealed record KeyPolicy(IReadOnlyList<PolicyStatement> Statements)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Everything in the account: App Mesh and Cloud Map.</summary>
    public static KeyPolicy Admin { get; } = new([new PolicyStatement(["appmesh:*", "servicediscovery:*"], ["*"])]);

    /// <summary>Reading on everything (App Mesh Describe and List, Cloud Map Get, List and Discover), and nothing else.</summary>
    public static KeyPolicy ReadOnly { get; } = new([new PolicyStatement(
        ["appmesh:Describe*", "appmesh:List*", "servicediscovery:Get*", "servicediscovery:List*", "servicediscovery:Discover*"], ["*"])]);

    /// <summary>A proxy's key: stream its own configuration and nothing else.</summary>
    public static KeyPolicy Proxy(string resourceArn) => new([new PolicyStatement(["appmesh:StreamAggregatedResources"], [resourceArn])]);

    // Asked on every API call: indexed loops, not LINQ, so the check makes no closures or enumerators.
    public bool Allows(string action, string resourceArn)
    {
        for (var i = 0; i < Statements.Count; i++)
        {
            var statement = Statements[i];
            if (AnyMatches(statement.Actions, action, ignoreCase: true) && AnyMatches(statement.Resources, resourceArn, ignoreCase: false))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyMatches(IReadOnlyList<string> patterns, string value, bool ignoreCase)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (Wildcard.Matches(patterns[i], value, ignoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static KeyPolicy FromJson(string json) =>
        JsonSerializer.Deserialize<KeyPolicy>(json, Json) ?? throw new InvalidOperationException("A key policy must be a JSON object.");

    [JsonIgnore]
    public string Summary => string.Join("; ", Statements.Select(s => $"{string.Join(",", s.Actions)} on {string.Join(",", s.Resources)}"));
}
