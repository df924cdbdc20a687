using System.Text;
using System.Text.Json.Nodes;
using Mesh.Api.Protocol;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Wire;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Api.Tests;

/// <summary>Tests generated from the App Mesh model itself, so nothing the model states can be missed.</summary>
public sealed class ModelDrivenTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly ServiceModel Model = ServiceModel.AppMesh;

    public static TheoryData<string> Operations() => new(Model.Operations.Select(o => o.Name));

    [Fact]
    public void ModelHasThirtyEightOperations_AndEachHasAHandler()
    {
        Assert.Equal(38, Model.Operations.Count);
        var dispatcher = api.Services.GetRequiredService<OperationDispatcher>();
        Assert.Equal(Model.Operations.Select(o => o.Name).Order(StringComparer.Ordinal), dispatcher.OperationNames.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EveryOperation_IsRoutedByItsModelBinding(string name)
    {
        var operation = Model.OperationsByName[name];
        using var request = new HttpRequestMessage(new HttpMethod(operation.HttpMethod), Url(operation, []));
        if (operation.HttpMethod == "PUT")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await api.Client.SendAsync(request);
        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.Single() : null;

        // Reaching the operation is what matters here: any App Mesh answer (even NotFound for the
        // made-up names) proves the binding; an unknown-operation answer means it is not bound.
        Assert.NotEqual("UnknownOperationException", errorType);
        Assert.True((int)response.StatusCode < 500, $"{name} answered {(int)response.StatusCode} {errorType}");
        Assert.True(response.Headers.Contains("x-amzn-RequestId"));
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task EveryConstraint_IsEnforcedWithItsPath(string name)
    {
        var operation = Model.OperationsByName[name];
        var cases = new ModelRequests(Model).ConstraintCases(operation).ToList();
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var response = await SendAsync(operation, c.Input);
            if (response.Status != 400 || response.ErrorType != "BadRequestException" || !response.Message.Contains(c.Path, StringComparison.Ordinal))
            {
                failures.Add($"{c.Description} -> {response.Status} {response.ErrorType}: {response.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures.Take(20)));
        if (Model.Shape(operation.InputShape!).Members.Any(m => m.Location != MemberLocation.Uri))
        {
            Assert.NotEmpty(cases);
        }
    }

    [Fact]
    public void ConstraintCases_ReachNestedSpecMembers()
    {
        var paths = new ModelRequests(Model).ConstraintCases(Model.OperationsByName["CreateVirtualNode"]).Select(c => c.Path).ToHashSet();
        Assert.Contains("spec.listeners[0].portMapping.port", paths);
        Assert.Contains("spec.listeners[0].tls.certificate", paths);
        Assert.Contains("spec.serviceDiscovery.awsCloudMap.attributes[0].key", paths);
        Assert.Contains("virtualNodeName", paths);
    }

    private Task<ApiResponse> SendAsync(Operation operation, JsonObject input)
    {
        var body = new JsonObject();
        var hasBody = false;
        foreach (var member in Model.Shape(operation.InputShape!).Members.Where(m => m.Location == MemberLocation.Body))
        {
            hasBody = true;
            if (input[member.Name] is { } value)
            {
                body[member.Name] = value.DeepClone();
            }
        }

        var method = new HttpMethod(operation.HttpMethod);
        return hasBody ? api.SendAsync(method, Url(operation, input), body) : api.SendAsync(method, Url(operation, input));
    }

    private static string Url(Operation operation, JsonObject input)
    {
        var shape = Model.Shape(operation.InputShape!);
        var path = operation.PathTemplate;
        foreach (var label in shape.Members.Where(m => m.Location == MemberLocation.Uri))
        {
            path = path.Replace("{" + label.LocationName + "}", Uri.EscapeDataString(input[label.Name]?.ToString() ?? "model-test"));
        }

        var query = shape.Members
            .Where(m => m.Location == MemberLocation.QueryString && input[m.Name] is not null)
            .Select(m => $"{m.LocationName}={Uri.EscapeDataString(input[m.Name]!.ToString())}")
            .ToList();
        if (operation.Name is "TagResource" or "UntagResource" or "ListTagsForResource" && input["resourceArn"] is null
            && query.Count == 0 && !shape.Required.Contains("resourceArn"))
        {
            query.Add("resourceArn=arn");
        }

        return query.Count == 0 ? path : path + "?" + string.Join("&", query);
    }
}
