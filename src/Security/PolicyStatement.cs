namespace Mesh.Security;

/// <summary>One allow-statement: any of these actions, on any of these resource ARNs ('*' and '?' are wildcards).</summary>
public sealed record PolicyStatement(IReadOnlyList<string> Actions, IReadOnlyList<string> Resources);
