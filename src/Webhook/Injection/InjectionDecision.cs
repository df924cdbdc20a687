namespace Mesh.Webhook.Injection;

/// <summary>What to do with one pod.</summary>
public abstract record InjectionDecision
{
    private InjectionDecision()
    {
    }

    /// <summary>Admit the pod unchanged (opted out, already injected, or not part of a mesh).</summary>
    public sealed record Leave(string Reason) : InjectionDecision;

    public sealed record Inject(SidecarRequest Request) : InjectionDecision;

    /// <summary>Refuse the pod: each problem names the annotation at fault.</summary>
    public sealed record Refuse(IReadOnlyList<string> Problems) : InjectionDecision;
}
