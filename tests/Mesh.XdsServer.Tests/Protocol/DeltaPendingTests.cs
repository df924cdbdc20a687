using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A delta type's unanswered responses (the oldest kept in a field, later ones in a list made only when a second is
/// pending): an ACK or NACK names one of them by nonce, and answers it and every older one, in the order sent.
/// </summary>
public sealed class DeltaPendingTests
{
    private static readonly IReadOnlyList<XdsResource> First = [Cluster("a")];
    private static readonly IReadOnlyList<XdsResource> Second = [Cluster("b")];
    private static readonly IReadOnlyList<XdsResource> Third = [Cluster("c")];
    private static readonly DeltaOutcome Sent = new(Envoy.Service.Status.V3.ConfigStatus.Stale, Envoy.Admin.V3.ClientResourceStatus.Requested, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void One_Response_Answered_Leaves_Nothing_Pending()
    {
        var state = NewState();
        Assert.Equal(-1, state.PendingIndex("1"));

        state.AddPending("1", First, Sent);
        Assert.Equal(1, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("2"));

        Assert.Same(First, state.Answered(state.PendingIndex("1")).Resources);
        Assert.Equal(0, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("1"));
    }

    [Fact]
    public void Answering_The_Oldest_Of_Three_Keeps_The_Later_Two_In_Order()
    {
        var state = NewState();
        state.AddPending("1", First, Sent);
        state.AddPending("2", Second, Sent);
        state.AddPending("3", Third, Sent);

        Assert.Same(First, state.Answered(state.PendingIndex("1")).Resources);
        Assert.Equal(2, state.PendingCount);
        Assert.Equal(0, state.PendingIndex("2"));
        Assert.Equal(1, state.PendingIndex("3"));

        Assert.Same(Third, state.Answered(state.PendingIndex("3")).Resources);
        Assert.Equal(0, state.PendingCount);
    }

    [Fact]
    public void Answering_The_Middle_One_Answers_The_Older_And_Keeps_The_Newer()
    {
        var state = NewState();
        state.AddPending("1", First, Sent);
        state.AddPending("2", Second, Sent);
        state.AddPending("3", Third, Sent);

        Assert.Same(Second, state.Answered(state.PendingIndex("2")).Resources);
        Assert.Equal(1, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("1"));
        Assert.Equal(0, state.PendingIndex("3"));

        // A response sent after the answer is pending behind the one left.
        state.AddPending("4", First, Sent);
        Assert.Equal(1, state.PendingIndex("4"));
        Assert.Same(Third, state.Answered(0).Resources);
        Assert.Equal(0, state.PendingIndex("4"));
    }

    [Fact]
    public void Past_The_Limit_The_Oldest_Unanswered_Response_Is_Forgotten()
    {
        var state = NewState();
        for (var i = 1; i <= DeltaTypeState.MaxPending + 1; i++)
        {
            state.AddPending(i.ToString(System.Globalization.CultureInfo.InvariantCulture), i == 2 ? Second : First, Sent);
        }

        Assert.Equal(DeltaTypeState.MaxPending, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("1"));
        Assert.Equal(0, state.PendingIndex("2"));
        Assert.Equal(DeltaTypeState.MaxPending - 1, state.PendingIndex((DeltaTypeState.MaxPending + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Same(Second, state.Answered(0).Resources);
        Assert.Equal(DeltaTypeState.MaxPending - 1, state.PendingCount);
    }

    private static DeltaTypeState NewState() =>
        new() { ClientHas = new StreamStatus(1, "ads-delta", TimeProvider.System).Holdings(TypeUrls.Cluster) };

    private static XdsResource Cluster(string name) => XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name });
}
