namespace Mesh.Security;

/// <summary>
/// The configured master key is not the one this database's access keys were encrypted with. Every signed call
/// would fail to decrypt its key, so the hosts refuse to start (and key commands refuse to run) with this message.
/// </summary>
public sealed class MasterKeyMismatchException(string message) : InvalidOperationException(message);
