namespace Mesh.Api;

/// <summary>
/// Settings the API cannot run without. <c>Program</c> prints the message, which names the setting and how to
/// set it, and exits 2, instead of an unhandled exception's stack trace.
/// </summary>
public sealed class ApiConfigurationException(string message) : InvalidOperationException(message);
