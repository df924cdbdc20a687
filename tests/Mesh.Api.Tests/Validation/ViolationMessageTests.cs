using Mesh.Api.Protocol;
using Mesh.Model.Wire;

namespace Mesh.Api.Tests.Validation;

public sealed class ViolationMessageTests
{
    [Fact]
    public void ManyViolations_ListTheFirstHundred_AndCountTheRest()
    {
        var violations = Enumerable.Range(0, 250).Select(i => new Violation($"spec.listeners[{i}].portMapping", "is required")).ToList();

        var message = AppMeshException.Invalid(violations).Message;

        Assert.StartsWith("250 validation errors detected: spec.listeners[0].portMapping: is required; ", message);
        Assert.Contains("spec.listeners[99].portMapping", message);
        Assert.DoesNotContain("spec.listeners[100].portMapping", message);
        Assert.EndsWith("; and 150 more", message);
    }

    [Fact]
    public void AHundredViolations_AreAllListed()
    {
        var violations = Enumerable.Range(0, 100).Select(i => new Violation($"tags[{i}].key", "is required")).ToList();

        var message = AppMeshException.Invalid(violations).Message;

        Assert.Contains("tags[99].key: is required", message);
        Assert.DoesNotContain("more", message);
    }
}
