namespace Mesh.Persistence;

/// <summary>One registered instance as a follower reads it: where it is registered, its attributes and its health.</summary>
public sealed record CloudMapRegistryRow(string NamespaceName, string ServiceName, string InstanceId, string Attributes, string HealthStatus);
