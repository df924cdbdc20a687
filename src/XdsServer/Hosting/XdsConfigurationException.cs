namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Settings that cannot work together. The server refuses to start with them, and <c>Program</c> prints the
/// message (which names the settings to change) instead of a stack trace.
/// </summary>
public sealed class XdsConfigurationException(string message) : InvalidOperationException(message);
