using System.Reflection;
using System.Runtime.CompilerServices;
using Mesh.XdsServer.Protocol;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// What a push and an ACK cost in objects on every stream (docs/benchmarks.md, issue13at): a route change at 10,000
/// proxies runs these once per stream, so a few objects each are megabytes per change for the GC. The behaviour of
/// the same paths is the SotW and delta tests'.
/// </summary>
public sealed class PushAllocationTests
{
    [Theory]
    [InlineData(typeof(StreamPump<Envoy.Service.Discovery.V3.DiscoveryRequest>), "PushThroughGateAsync")]
    [InlineData(typeof(XdsSession<Envoy.Service.Discovery.V3.DiscoveryRequest>), "HandleSnapshotAsync")]
    [InlineData(typeof(SotwSession), "OnSnapshotAsync")]
    [InlineData(typeof(SotwSession), "OnRequestAsync")]
    [InlineData(typeof(SotwSession), "SendIfChangedAsync")]
    [InlineData(typeof(DeltaSession), "OnSnapshotAsync")]
    [InlineData(typeof(DeltaSession), "OnRequestAsync")]
    [InlineData(typeof(DeltaSession), "WriteAsync")]
    public void The_Methods_A_Push_Runs_Through_Pool_Their_State_Machines(Type type, string method)
    {
        // A push's write waits for Kestrel to take its bytes, so each of these goes asynchronous on every push of
        // every stream: without a pooling builder each allocates its state machine's box (four per stream per change).
        var found = type.GetMethod(method, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly);

        Assert.NotNull(found);
        var builder = found.GetCustomAttribute<AsyncMethodBuilderAttribute>()?.BuilderType;
        Assert.True(
            builder == typeof(PoolingAsyncValueTaskMethodBuilder) || builder == typeof(PoolingAsyncValueTaskMethodBuilder<>),
            $"{type.Name}.{method} is built by {builder?.Name ?? "the default builder"}");
    }
}
