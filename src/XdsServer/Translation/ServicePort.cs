using Mesh.Model.Specs;

namespace Mesh.XdsServer.Translation;

/// <summary>One port of a virtual service as a client sees it: its protocol and its routes, in match order.</summary>
internal sealed record ServicePort(int Port, PortProtocol Protocol, IReadOnlyList<ServiceRoute> Routes);
