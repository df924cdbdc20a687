using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Testing;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A create's and an update's spec is sent as its UTF-8 (<see cref="WriteParameters.Utf8Text"/>) instead of as a string
/// made from those bytes (issue14ar): PostgreSQL gets a text parameter with the same bytes, so the jsonb it stores is the
/// same, for specs of every kind, with hostile strings and text outside ASCII.
/// </summary>
public sealed class Utf8TextParameterTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    public static TheoryData<string, string> Specs() => new()
    {
        { "mesh", """{"egressFilter":{"type":"DROP_ALL"},"serviceDiscovery":{"ipPreference":"IPv6_PREFERRED"}}""" },
        { "virtualNode", """{"listeners":[{"portMapping":{"port":8080,"protocol":"http"},"healthCheck":{"protocol":"http","path":"/health","healthyThreshold":2,"unhealthyThreshold":3,"timeoutMillis":2000,"intervalMillis":5000}}],"serviceDiscovery":{"dns":{"hostname":"w3-17.bench-mesh.local"}},"backends":[{"virtualService":{"virtualServiceName":"a.b"}}]}""" },
        { "virtualService", """{"provider":{"virtualRouter":{"virtualRouterName":"r\u00e9-\ud83d\ude00"}}}""" },
        { "virtualRouter", """{"listeners":[{"portMapping":{"port":80,"protocol":"http2"}}]}""" },
        { "route", """{"httpRoute":{"match":{"prefix":"/'; DROP TABLE resources; --","headers":[{"name":"x\"y\\z","match":{"exact":"<\/script>\u2028\u0001"}}]},"action":{"weightedTargets":[{"virtualNode":"n","weight":100}]}}}""" },
        { "virtualGateway", """{"listeners":[{"portMapping":{"port":443,"protocol":"http"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/c","privateKey":"/k"}}}}]}""" },
        { "gatewayRoute", """{"httpRoute":{"match":{"prefix":"/\u00fc\u00f1\u00ef\u00e7\u00f8d\u00e9 \u202e"},"action":{"target":{"virtualService":{"virtualServiceName":"s"}}}}}""" },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task ASpecSentAsItsUtf8_ReachesPostgreSQL_AsTheStringMadeFromItDid(string kind, string spec)
    {
        // As the API writes a spec (compact, the default encoder: text outside ASCII escaped), and the same text with
        // that text written out as UTF-8, should the writer ever stop escaping it.
        var node = JsonNode.Parse(spec)!;
        foreach (var utf8 in new[] { Encoding.UTF8.GetBytes(node.ToJsonString()), Encoding.UTF8.GetBytes(Unescaped(node)) })
        {
            var asString = await ReadBackAsync(new WriteStatement(Sql).Rent().Text(Encoding.UTF8.GetString(utf8)));
            var asUtf8 = await ReadBackAsync(new WriteStatement(Sql).Rent().Utf8Text(utf8));

            Assert.Equal("text", asUtf8[0]);
            Assert.True(asString.SequenceEqual(asUtf8), $"{kind}: {string.Join(" | ", asString)}\nagainst {string.Join(" | ", asUtf8)}");
        }
    }

    /// <summary>The parameter's type, its text, the jsonb it makes as text and the bytes of that jsonb (jsonb_send).</summary>
    private const string Sql = "SELECT pg_typeof($1)::text, $1, $1::jsonb::text, encode(jsonb_send($1::jsonb), 'hex')";

    private async Task<object?[]> ReadBackAsync(WriteParameters parameters)
    {
        await using var source = NpgsqlDataSource.Create(database.ConnectionString);
        await using var connection = await source.OpenConnectionAsync();
        return (await WriteBatch.CommitAsync(connection, parameters, CancellationToken.None))!;
    }

    private static string Unescaped(JsonNode node) =>
        node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
