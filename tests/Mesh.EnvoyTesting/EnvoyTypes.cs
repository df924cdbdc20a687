using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Mesh.EnvoyTesting;

/// <summary>Every message type compiled into Mesh.EnvoyApi, for unpacking <c>Any</c> and for JSON output.</summary>
public static class EnvoyTypes
{
    public static TypeRegistry Registry { get; } = TypeRegistry.FromFiles(Files().ToArray());

    private static IEnumerable<FileDescriptor> Files() =>
        typeof(Envoy.Config.Listener.V3.Listener).Assembly.GetTypes()
            .Where(t => typeof(IMessage).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null))
            .OfType<MessageDescriptor>()
            .Select(d => d.File)
            .Append(Google.Protobuf.WellKnownTypes.Struct.Descriptor.File)
            .Distinct();
}
