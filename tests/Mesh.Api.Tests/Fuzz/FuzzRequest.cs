using System.Text;

namespace Mesh.Api.Tests.Fuzz;

/// <summary>One generated request, with what makes it invalid, so that a failure can be reproduced and read.</summary>
public sealed record FuzzRequest(int Index, string Operation, string Category, string Detail, HttpMethod Method, string PathAndQuery, byte[]? Body)
{
    public override string ToString()
    {
        var body = Body is null
            ? "(no body)"
            : Body.Length > 300 ? $"{Encoding.UTF8.GetString(Body, 0, 300)}… ({Body.Length} bytes)" : Encoding.UTF8.GetString(Body);
        var path = PathAndQuery.Length > 300 ? PathAndQuery[..300] + $"… ({PathAndQuery.Length} chars)" : PathAndQuery;
        return $"#{Index} {Operation} [{Category}: {Detail}] {Method} {path} {body}";
    }
}
