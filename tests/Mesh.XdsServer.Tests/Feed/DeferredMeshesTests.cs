using Mesh.XdsServer.Feed;
using Mesh.XdsServer.Tests.Support;

namespace Mesh.XdsServer.Tests.Feed;

/// <summary>Which changed meshes nobody watches wait, and when they are loaded.</summary>
public sealed class DeferredMeshesTests
{
    private static readonly MeshKey Demo = new(MeshRows.Account, "demo");
    private static readonly MeshKey Other = new(MeshRows.Account, "other");
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    [Fact]
    public void A_Mesh_Waits_Until_Its_First_Change_Is_Due_However_Often_It_Changes_Meanwhile()
    {
        var clock = new ManualTimeProvider();
        var deferred = new DeferredMeshes(clock);
        deferred.Defer(Demo, Delay);
        clock.Advance(TimeSpan.FromMilliseconds(600));
        deferred.Defer(Demo, Delay); // a later change does not push the deadline back
        Assert.Empty(deferred.Ready(_ => false));
        Assert.Equal(TimeSpan.FromMilliseconds(400), deferred.UntilNextDue());

        clock.Advance(TimeSpan.FromMilliseconds(400));

        Assert.Equal([Demo], deferred.Ready(_ => false));
        Assert.Equal(TimeSpan.Zero, deferred.UntilNextDue());
    }

    [Fact]
    public void A_Mesh_A_Proxy_Starts_To_Watch_Is_Ready_At_Once()
    {
        var deferred = new DeferredMeshes(new ManualTimeProvider());
        deferred.Defer(Demo, Delay);
        deferred.Defer(Other, Delay);

        Assert.Equal([Other], deferred.Ready(mesh => mesh == Other));
    }

    [Fact]
    public void A_Mesh_Leaves_Only_Once_Loaded()
    {
        var clock = new ManualTimeProvider();
        var deferred = new DeferredMeshes(clock);
        deferred.Defer(Demo, Delay);
        clock.Advance(Delay);
        Assert.Equal([Demo], deferred.Ready(_ => false));
        Assert.Equal([Demo], deferred.Ready(_ => false)); // a load that failed leaves it where it was

        deferred.Loaded([Demo]);

        Assert.Empty(deferred.Ready(_ => true));
        Assert.Null(deferred.UntilNextDue());
        Assert.Equal(0, deferred.Count);
    }

    [Fact]
    public void A_Step_Of_The_Wall_Clock_Neither_Holds_A_Mesh_Past_Its_Delay_Nor_Loads_It_Early()
    {
        var clock = new ManualTimeProvider();
        var deferred = new DeferredMeshes(clock);
        deferred.Defer(Demo, Delay);

        clock.StepWallClock(TimeSpan.FromHours(1)); // forward: still waits its delay
        Assert.Empty(deferred.Ready(_ => false));
        Assert.Equal(Delay, deferred.UntilNextDue());

        clock.StepWallClock(TimeSpan.FromHours(-2)); // back: due after its delay all the same
        clock.Advance(Delay);

        Assert.Equal([Demo], deferred.Ready(_ => false));
        Assert.Equal(TimeSpan.Zero, deferred.UntilNextDue());
    }

    [Fact]
    public void A_Mesh_Is_Waiting_From_Its_Deferral_Until_It_Is_Loaded()
    {
        var deferred = new DeferredMeshes(new ManualTimeProvider());
        Assert.False(deferred.IsWaiting(Demo));

        deferred.Defer(Demo, Delay);
        Assert.True(deferred.IsWaiting(Demo));
        Assert.False(deferred.IsWaiting(Other));

        deferred.Loaded([Demo]);
        Assert.False(deferred.IsWaiting(Demo));
    }
}
