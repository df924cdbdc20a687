namespace Mesh.XdsServer.Translation;

/// <summary>The mesh cannot be expressed as Envoy configuration for a proxy; the proxy keeps its last good snapshot.</summary>
public sealed class TranslationException(string message) : Exception(message);
