using Envoy.Service.Discovery.V3;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Protocol;

/// <summary>Builds a delta response from resources whose envelopes are made once (<see cref="XdsResource.DeltaResource"/>).</summary>
internal static class DeltaResponses
{
    public static DeltaDiscoveryResponse Create(string systemVersion, string typeUrl, string nonce, IReadOnlyList<XdsResource> upserts, IReadOnlyList<string> removals)
    {
        var response = new DeltaDiscoveryResponse { SystemVersionInfo = systemVersion, TypeUrl = typeUrl, Nonce = nonce };
        for (var i = 0; i < upserts.Count; i++)
        {
            response.Resources.Add(upserts[i].DeltaResource);
        }

        response.RemovedResources.AddRange(removals);
        return response;
    }
}
