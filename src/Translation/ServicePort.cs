using Specs = Mesh.Model.Specs;

namespace Mesh.Translation;

/// <summary>A port a virtual service is reachable on: a listener of its provider node or router.</summary>
internal readonly record struct ServicePort(int Port, Specs.PortProtocol Protocol);
