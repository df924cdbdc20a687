using Envoy.Service.Discovery.V3;

namespace Mesh.XdsServer.Tests.Support;

/// <summary>
/// A delta response as every stream it is shared with reads it: each stream writes a shared response with a nonce of
/// its own, so what they share is the rest.
/// </summary>
public static class Nonces
{
    public static DeltaDiscoveryResponse Cleared(DeltaDiscoveryResponse response)
    {
        var cleared = response.Clone();
        cleared.Nonce = "";
        return cleared;
    }
}
