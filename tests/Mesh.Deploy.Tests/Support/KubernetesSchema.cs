namespace Mesh.Deploy.Tests.Support;

/// <summary>
/// tests/kubernetes/validate.mjs: checks Kubernetes objects against the Kubernetes OpenAPI schemas of the pinned
/// kubernetes-models npm package (installed by .ci/run, or `npm ci` in tests/kubernetes).
/// </summary>
public static class KubernetesSchema
{
    public static async Task<CommandResult> ValidateAsync(string yaml)
    {
        var folder = Repository.PathOf("tests/kubernetes");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "kubernetes-models")))
        {
            throw new InvalidOperationException($"kubernetes-models is not installed: run `npm ci` in {folder} (.ci/run does).");
        }

        return await Command.RunAsync("node", [Path.Combine(folder, "validate.mjs")], standardInput: yaml);
    }
}
