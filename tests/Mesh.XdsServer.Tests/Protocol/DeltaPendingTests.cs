using Envoy.Admin.V3;
using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A delta type's unanswered responses (the oldest kept in a field, later ones in a list made only when a second is
/// pending): an ACK or NACK names one of them by nonce, and answers it; the older ones were answered past, and are
/// taken as accepted (their resources ACKed, their removals done). One forgotten past the limit is still answered by
/// its nonce when its answer comes, or taken as accepted when the client answers a later one.
/// </summary>
public sealed class DeltaPendingTests
{
    private static readonly IReadOnlyList<XdsResource> First = [Cluster("a")];
    private static readonly IReadOnlyList<XdsResource> Second = [Cluster("b")];
    private static readonly IReadOnlyList<XdsResource> Third = [Cluster("c")];
    private static readonly DeltaOutcome Sent = new(Envoy.Service.Status.V3.ConfigStatus.Stale, Envoy.Admin.V3.ClientResourceStatus.Requested, null, DateTimeOffset.UnixEpoch);
    private static readonly DeltaOutcome Ack = new(Envoy.Service.Status.V3.ConfigStatus.Synced, Envoy.Admin.V3.ClientResourceStatus.Acked, null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void One_Response_Answered_Leaves_Nothing_Pending()
    {
        var state = NewState();
        Assert.Equal(-1, state.PendingIndex("1"));

        state.AddPending("1", First, Sent);
        Assert.Equal(1, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("2"));

        Assert.Same(First, state.Answered(state.PendingIndex("1"), Ack).Resources);
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

        Assert.Same(First, state.Answered(state.PendingIndex("1"), Ack).Resources);
        Assert.Equal(2, state.PendingCount);
        Assert.Equal(0, state.PendingIndex("2"));
        Assert.Equal(1, state.PendingIndex("3"));

        Assert.Same(Third, state.Answered(state.PendingIndex("3"), Ack).Resources);
        Assert.Equal(0, state.PendingCount);
    }

    [Fact]
    public void Answering_The_Middle_One_Answers_The_Older_And_Keeps_The_Newer()
    {
        var state = NewState();
        state.AddPending("1", First, Sent);
        state.AddPending("2", Second, Sent);
        state.AddPending("3", Third, Sent);

        Assert.Same(Second, state.Answered(state.PendingIndex("2"), Ack).Resources);
        Assert.Equal(1, state.PendingCount);
        Assert.Equal(-1, state.PendingIndex("1"));
        Assert.Equal(0, state.PendingIndex("3"));

        // A response sent after the answer is pending behind the one left.
        state.AddPending("4", First, Sent);
        Assert.Equal(1, state.PendingIndex("4"));
        Assert.Same(Third, state.Answered(0, Ack).Resources);
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
        Assert.Same(Second, state.Answered(0, Ack).Resources);
        Assert.Equal(DeltaTypeState.MaxPending - 1, state.PendingCount);
    }

    [Fact]
    public void A_Response_The_Client_Answers_Past_Is_Taken_As_Accepted()
    {
        // Response 1 sends c and removes b; the client answers response 2 (an ACK, or a NACK) without answering 1,
        // which it took before: c is ACKed (it was left sent and unanswered), and the removal of b is done.
        foreach (var acked in new[] { true, false })
        {
            var (state, status) = NewStateAndStatus();
            var holdings = state.ClientHas;
            status.Acked(TypeUrls.Cluster, [Cluster("b")], holdings.Sent([Cluster("b")], DateTimeOffset.UnixEpoch));
            var first = holdings.Sent(Third, DateTimeOffset.UnixEpoch);
            holdings.RemovedBy("b", first);
            state.AddPending("1", Third, first);
            state.AddPending("2", First, holdings.Sent(First, DateTimeOffset.UnixEpoch));
            Assert.True(holdings.KeepsRemovalOf("b"));

            var answer = acked ? status.Ack() : status.Nack("bad");
            var (resources, sent) = state.Answered(state.PendingIndex("2"), answer);
            holdings.Answered(resources, sent, answer);

            Assert.False(holdings.KeepsRemovalOf("b"));
            Assert.DoesNotContain((TypeUrls.Cluster, "b"), status.Resources.Keys);
            Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Cluster, "c")].ClientStatus);
            Assert.Equal(acked ? ClientResourceStatus.Acked : ClientResourceStatus.Nacked, status.Resources[(TypeUrls.Cluster, "a")].ClientStatus);
        }
    }

    [Fact]
    public void A_Response_Forgotten_Past_The_Limit_Takes_Its_Own_Answer_When_It_Comes()
    {
        // Response 1 sends c and removes b, and is forgotten past the limit before the client answers it. Its answer
        // still comes (first, as the client answers in order) and is given to c and to the removal.
        foreach (var acked in new[] { true, false })
        {
            var (state, status) = NewStateAndStatus();
            var holdings = state.ClientHas;
            var b = Cluster("b");
            status.Acked(TypeUrls.Cluster, [b], holdings.Sent([b], DateTimeOffset.UnixEpoch));
            var first = holdings.Sent(Third, DateTimeOffset.UnixEpoch, nonce: 1);
            holdings.RemovedBy("b", first);
            state.AddPending("1", Third, first);
            for (var i = 2; i <= DeltaTypeState.MaxPending + 1; i++)
            {
                state.AddPending(i.ToString(System.Globalization.CultureInfo.InvariantCulture), First, holdings.Sent(First, DateTimeOffset.UnixEpoch, nonce: i));
            }

            Assert.Equal(-1, state.PendingIndex("1"));
            Assert.True(holdings.KeepsRemovalOf("b"));
            Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Cluster, "c")].ClientStatus);
            Assert.False(state.WasForgotten("2", out _));

            Assert.True(state.WasForgotten("1", out var number));
            state.AnsweredForgotten(number, acked ? status.Ack() : status.Nack("bad"));

            Assert.False(state.WasForgotten("1", out _));
            var c = status.Resources[(TypeUrls.Cluster, "c")];
            Assert.Equal(acked ? (Third[0].Version, ClientResourceStatus.Acked) : ("", ClientResourceStatus.Nacked), (c.Version, c.ClientStatus));
            Assert.Equal(!acked, holdings.KeepsRemovalOf("b"));
            Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Cluster, "a")].ClientStatus);
            if (!acked)
            {
                Assert.Equal((b.Version, ClientResourceStatus.Nacked), (status.Resources[(TypeUrls.Cluster, "b")].Version, status.Resources[(TypeUrls.Cluster, "b")].ClientStatus));
            }
        }
    }

    [Fact]
    public void A_Response_Forgotten_Past_The_Limit_Is_Taken_As_Accepted_When_A_Later_One_Is_Answered()
    {
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        var first = holdings.Sent(Third, DateTimeOffset.UnixEpoch, nonce: 1);
        state.AddPending("1", Third, first);
        for (var i = 2; i <= DeltaTypeState.MaxPending + 1; i++)
        {
            state.AddPending(i.ToString(System.Globalization.CultureInfo.InvariantCulture), First, holdings.Sent(First, DateTimeOffset.UnixEpoch, nonce: i));
        }

        var answer = status.Nack("bad");
        var (resources, sent) = state.Answered(state.PendingIndex("2"), answer);
        holdings.Answered(resources, sent, answer);

        Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Cluster, "c")].ClientStatus);
        Assert.False(state.WasForgotten("1", out _));
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
        var nack = status.Nack("bad");
        var (resources, sent) = state.Answered(state.PendingIndex("1"), nack);
        holdings.Answered(resources, sent, nack);

        state.AddPending("2", First, holdings.Sent(First, DateTimeOffset.UnixEpoch));
        state.AddPending("3", Third, holdings.Sent(Third, DateTimeOffset.UnixEpoch));
        var ack = status.Ack();
        (resources, sent) = state.Answered(state.PendingIndex("3"), ack);
        holdings.Answered(resources, sent, ack);
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
