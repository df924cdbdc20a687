using Envoy.Admin.V3;
using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A delta type's unanswered responses (the oldest kept in a field, later ones in a list made only when a second is
/// pending): an ACK or NACK names one of them by nonce, and answers it; the older ones can no longer be answered.
/// A removal such a response carried (or one forgotten past the limit) is then forgotten with it: what the client ran
/// of the removed name is kept only for a refusal that can still come, or that came.
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

    [Fact]
    public void A_Removal_In_A_Response_The_Client_Answers_Past_Is_Forgotten()
    {
        // b is removed by response 1; the client answers response 2 (an ACK, or a NACK) without answering 1, which can
        // then never be answered: what the client ran of b is no longer kept for a refusal that cannot come.
        foreach (var acked in new[] { true, false })
        {
            var (state, status) = NewStateAndStatus();
            var holdings = state.ClientHas;
            status.Acked(TypeUrls.Cluster, [Cluster("b")], holdings.Sent([Cluster("b")], DateTimeOffset.UnixEpoch));
            var removal = holdings.Sent([], DateTimeOffset.UnixEpoch);
            holdings.RemovedBy("b", removal);
            state.AddPending("1", [], removal);
            state.AddPending("2", First, holdings.Sent(First, DateTimeOffset.UnixEpoch));
            Assert.True(holdings.KeepsRemovalOf("b"));

            var (resources, sent) = state.Answered(state.PendingIndex("2"));
            if (acked)
            {
                status.Acked(TypeUrls.Cluster, resources, sent);
            }
            else
            {
                status.Nacked(TypeUrls.Cluster, resources, sent, "bad");
            }

            Assert.False(holdings.KeepsRemovalOf("b"));
            Assert.DoesNotContain((TypeUrls.Cluster, "b"), status.Resources.Keys);
        }
    }

    [Fact]
    public void A_Removal_In_A_Response_Forgotten_Past_The_Limit_Is_Forgotten()
    {
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        status.Acked(TypeUrls.Cluster, [Cluster("b")], holdings.Sent([Cluster("b")], DateTimeOffset.UnixEpoch));
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch);
        holdings.RemovedBy("b", removal);
        state.AddPending("1", [], removal);
        for (var i = 2; i <= DeltaTypeState.MaxPending; i++)
        {
            state.AddPending(i.ToString(System.Globalization.CultureInfo.InvariantCulture), First, Sent);
        }

        Assert.True(holdings.KeepsRemovalOf("b"));
        state.AddPending("17", First, Sent);
        Assert.Equal(-1, state.PendingIndex("1"));
        Assert.False(holdings.KeepsRemovalOf("b"));
    }

    [Fact]
    public void A_Refused_Removal_Is_Kept_Whatever_The_Client_Answers_After()
    {
        // The refusal is what the client runs until b is sent again or dropped; later answers, and responses
        // forgotten unanswered, do not change that.
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        var b = Cluster("b");
        status.Acked(TypeUrls.Cluster, [b], holdings.Sent([b], DateTimeOffset.UnixEpoch));
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch);
        holdings.RemovedBy("b", removal);
        state.AddPending("1", [], removal);
        var (resources, sent) = state.Answered(state.PendingIndex("1"));
        status.Nacked(TypeUrls.Cluster, resources, sent, "bad");

        state.AddPending("2", First, holdings.Sent(First, DateTimeOffset.UnixEpoch));
        state.AddPending("3", Third, holdings.Sent(Third, DateTimeOffset.UnixEpoch));
        (resources, sent) = state.Answered(state.PendingIndex("3"));
        status.Acked(TypeUrls.Cluster, resources, sent);
        for (var i = 4; i <= DeltaTypeState.MaxPending + 4; i++)
        {
            state.AddPending(i.ToString(System.Globalization.CultureInfo.InvariantCulture), First, Sent);
        }

        Assert.True(holdings.KeepsRemovalOf("b"));
        Assert.Equal((b.Version, ClientResourceStatus.Nacked), (status.Resources[(TypeUrls.Cluster, "b")].Version, status.Resources[(TypeUrls.Cluster, "b")].ClientStatus));
    }

    private static DeltaTypeState NewState() => NewStateAndStatus().State;

    private static (DeltaTypeState State, StreamStatus Status) NewStateAndStatus()
    {
        var status = new StreamStatus(1, "ads-delta", TimeProvider.System);
        return (new DeltaTypeState { ClientHas = status.Holdings(TypeUrls.Cluster) }, status);
    }

    private static XdsResource Cluster(string name) => XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name });
}
