using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Security;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>
/// A resource write's audit record is inserted by the write function's own statement (issue14an,
/// <see cref="WriteTransactions.Audited"/>): every write, replay and refusal still leaves exactly one record, with the
/// call's values, and a refused write only its refusal's.
/// </summary>
public sealed class WriteAuditTests(ApiServer api) : IClassFixture<ApiServer>
{
    [Fact]
    public void AnAuditedCall_TakesTheAuditValues_AfterTheCallsOwnParameters()
    {
        var statement = WriteTransactions.Audited("SELECT * FROM mesh_example($1, $2::jsonb, $12)");

        Assert.True(statement.IsAudited);
        Assert.Contains("INSERT INTO audit_log (at, account_id, access_key_id, action, resource_arn, request_id, status_code, error_code, message, source_address)", statement.Sql);
        Assert.Contains("VALUES ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22))", statement.Sql);
        Assert.EndsWith("SELECT * FROM mesh_example($1, $2::jsonb, $12)", statement.Sql);
        Assert.False(new WriteStatement("SELECT 1").IsAudited);
    }

    [Fact]
    public async Task EveryWrite_ReplayAndRefusal_LeavesExactlyOneRecord_WithTheCallsValues()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var create = new JsonObject { ["virtualNodeName"] = "audited", ["spec"] = Specs.VirtualNode(), ["clientToken"] = Guid.NewGuid().ToString() };
        var created = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create);
        var replayed = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh), create.DeepClone());
        var updated = await api.SendAsync(HttpMethod.Put, Paths.VirtualNode(mesh.Mesh, "audited"),
            new JsonObject { ["spec"] = Specs.VirtualNode(9000), ["clientToken"] = Guid.NewGuid().ToString() });
        // Refused in the write function's statement (the name is taken): the statement that would have inserted the
        // write's record fails, and only the refusal is recorded.
        var refused = await api.SendAsync(HttpMethod.Put, Paths.VirtualNodes(mesh.Mesh),
            new JsonObject { ["virtualNodeName"] = "audited", ["spec"] = Specs.VirtualNode(9001) });
        var deleted = await api.SendAsync(HttpMethod.Delete, Paths.VirtualNode(mesh.Mesh, "audited"));
        var arn = created.AssertOk().Body!["metadata"]!["arn"]!.GetValue<string>();
        replayed.AssertOk();
        updated.AssertOk();
        refused.AssertError(409, "ConflictException");
        deleted.AssertOk();

        var audit = api.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(CancellationToken.None);
        var records = (await audit.ListAsync(from, DateTimeOffset.UtcNow.AddSeconds(1), ApiServer.AccountId, CancellationToken.None))
            .Where(r => r.ResourceArn == arn).ToList();

        AssertRecord(records, created, "appmesh:CreateVirtualNode", arn, 200, "", "");
        AssertRecord(records, replayed, "appmesh:CreateVirtualNode", arn, 200, "", "");
        AssertRecord(records, updated, "appmesh:UpdateVirtualNode", arn, 200, "", "");
        AssertRecord(records, refused, "appmesh:CreateVirtualNode", arn, 409, "ConflictException", refused.Message!);
        AssertRecord(records, deleted, "appmesh:DeleteVirtualNode", arn, 200, "", "");
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.InRange(r.At, from, DateTimeOffset.UtcNow));
    }

    private void AssertRecord(List<AuditRecordEntity> records, ApiResponse response, string action, string arn, int status, string errorCode, string message)
    {
        var record = Assert.Single(records, r => r.RequestId == response.RequestId);
        Assert.Equal((ApiServer.AccountId, api.AdminKey.AccessKeyId, action, arn, status, errorCode, message, "127.0.0.1"),
            (record.AccountId, record.AccessKeyId, record.Action, record.ResourceArn, record.StatusCode, record.ErrorCode, record.Message, record.SourceAddress));
    }
}
