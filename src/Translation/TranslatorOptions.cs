namespace Mesh.Translation;

/// <summary>Knobs that are not part of the mesh model. The defaults are App Mesh's.</summary>
public sealed record TranslatorOptions
{
    public static TranslatorOptions Default { get; } = new();

    /// <summary>Connect timeout of the local application cluster (App Mesh: 0.25 s).</summary>
    public TimeSpan LocalAppConnectTimeout { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Connect timeout of clusters that reach other nodes (App Mesh: 1 s).</summary>
    public TimeSpan UpstreamConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Keep App Mesh's always-on passthrough of <c>*.amazonaws.com:443</c> even under DROP_ALL
    /// (docs/envoy-mapping.md §2 "Egress listener").
    /// </summary>
    public bool AllowAmazonAwsEgress { get; init; } = true;
}
