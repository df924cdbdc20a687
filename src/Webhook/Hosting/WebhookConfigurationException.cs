namespace Mesh.Webhook.Hosting;

/// <summary>A setting that cannot work: the host stops at start with exit code 2 and this one-line message.</summary>
public sealed class WebhookConfigurationException(string message) : Exception(message);
