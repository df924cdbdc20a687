namespace Mesh.XdsServer.Hosting;

/// <summary>The region and account this installation stands in for (configuration section <c>Mesh</c>), as the API uses them in ARNs.</summary>
public sealed class MeshIdentityOptions
{
    public string Region { get; set; } = "us-east-1";

    /// <summary>The account a short-form node.id (<c>mesh/m/virtualNode/n</c>) belongs to.</summary>
    public string AccountId { get; set; } = "111122223333";
}
