using Envoy.Admin.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Status.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;

namespace Mesh.XdsServer.Tests.Protocol;

/// <summary>
/// A SotW stream's CSDS view is kept as one record per type (the resources of the latest response and what the
/// client said of them) and resolved per resource only when asked: what it resolves to is what a dictionary of
/// one status per resource, written on every send and ACK, used to hold.
/// </summary>
public sealed class StreamStatusTests
{
    private readonly SteppingClock _clock = new();

    [Fact]
    public void A_Sent_Then_Acked_Response_Shows_Every_Resource_With_Its_Version()
    {
        var status = new StreamStatus(1, "ads", _clock);
        var clusters = new[] { Cluster("a"), Cluster("b") };
        status.SentSet(TypeUrls.Cluster, clusters);
        var sentAt = _clock.Now;

        Assert.All(clusters, c => Assert.Equal(
            new ResourceStatus(c.Version, ConfigStatus.Stale, ClientResourceStatus.Requested, null, sentAt),
            status.Resources[(TypeUrls.Cluster, c.Name)]));

        _clock.Step();
        status.AckedSet(TypeUrls.Cluster, clusters);
        Assert.Equal(2, status.Resources.Count);
        Assert.All(clusters, c => Assert.Equal(
            new ResourceStatus(c.Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, _clock.Now),
            status.Resources[(TypeUrls.Cluster, c.Name)]));
    }

    [Fact]
    public void A_Nack_Of_A_First_Response_Marks_Every_Resource_With_The_Error_And_Nothing_Held()
    {
        var status = new StreamStatus(1, "ads", _clock);
        var clusters = new[] { Cluster("a"), Cluster("b") };
        status.SentSet(TypeUrls.Cluster, clusters);
        status.NackedSet(TypeUrls.Cluster, clusters, "code 3: bad", "v2");

        var config = status.ToClientConfig(problem: null);
        Assert.Equal(["a", "b"], config.GenericXdsConfigs.Select(g => g.Name));
        Assert.All(config.GenericXdsConfigs, g =>
        {
            Assert.Equal((ClientResourceStatus.Nacked, ConfigStatus.Error), (g.ClientStatus, g.ConfigStatus));
            Assert.Equal("code 3: bad", g.ErrorState.Details);
            Assert.Equal("", g.VersionInfo);
            Assert.Equal(clusters.Single(c => c.Name == g.Name).Version, g.ErrorState.VersionInfo);
        });
        Assert.Equal(("v2", "code 3: bad"), (status.Refusals[TypeUrls.Cluster].Version, status.Refusals[TypeUrls.Cluster].Error));
    }

    [Fact]
    public void After_A_Sotw_Nack_The_Client_Is_Shown_On_What_It_Acked_With_The_Refused_Versions_In_The_Error_State()
    {
        // A route configuration changed, a cluster unchanged, one added and one removed; the client refuses the lot.
        var status = new StreamStatus(1, "ads", _clock);
        var acked = new[] { Cluster("a"), Cluster("b"), Cluster("gone") };
        status.SentSet(TypeUrls.Cluster, acked);
        status.AckedSet(TypeUrls.Cluster, acked);
        var ackedAt = _clock.Now;
        _clock.Step();
        var changedA = XdsResource.Create(TypeUrls.Cluster, "a", new Cluster { Name = "a", AltStatName = "changed" });
        var refused = new[] { changedA, acked[1], Cluster("new") };
        status.SentSet(TypeUrls.Cluster, refused);
        _clock.Step();
        status.NackedSet(TypeUrls.Cluster, refused, "code 3: bad a", "v2");

        var resources = status.Resources;
        Assert.Equal(new ResourceStatus(acked[0].Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "code 3: bad a", ackedAt, changedA.Version, _clock.Now), resources[(TypeUrls.Cluster, "a")]);
        Assert.Equal(new ResourceStatus(acked[1].Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, ackedAt), resources[(TypeUrls.Cluster, "b")]);
        Assert.Equal(new ResourceStatus("", ConfigStatus.Error, ClientResourceStatus.Nacked, "code 3: bad a", _clock.Now, refused[2].Version, _clock.Now), resources[(TypeUrls.Cluster, "new")]);
        // A wildcard CDS response that leaves a cluster out removes it; refused, the client keeps it.
        Assert.Equal(new ResourceStatus(acked[2].Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "code 3: bad a", ackedAt, "", _clock.Now), resources[(TypeUrls.Cluster, "gone")]);

        var csds = status.ToClientConfig(problem: null).GenericXdsConfigs.Single(g => g.Name == "a");
        Assert.Equal((acked[0].Version, changedA.Version), (csds.VersionInfo, csds.ErrorState.VersionInfo));
        Assert.Equal((ackedAt, _clock.Now), (csds.LastUpdated.ToDateTimeOffset(), csds.ErrorState.LastUpdateAttempt.ToDateTimeOffset()));

        // A newer response ACKed: nothing refused is left.
        var newer = new[] { Cluster("a"), Cluster("b") };
        status.SentSet(TypeUrls.Cluster, newer);
        status.AckedSet(TypeUrls.Cluster, newer);
        Assert.Empty(status.Refusals);
        Assert.All(status.Resources.Values, r => Assert.Equal((ClientResourceStatus.Acked, (string?)null), (r.ClientStatus, r.RejectedVersion)));
    }

    [Fact]
    public void Lds_And_Cds_Drop_What_A_Later_Response_Leaves_Out_Rds_And_Eds_Keep_It()
    {
        var status = new StreamStatus(1, "ads", _clock);
        status.SentSet(TypeUrls.Cluster, [Cluster("a"), Cluster("b")]);
        status.SentSet(TypeUrls.Cluster, [Cluster("b")]);
        Assert.Equal(["b"], status.Resources.Keys.Where(k => k.Type == TypeUrls.Cluster).Select(k => k.Name));

        var first = new[] { Route("r1"), Route("r2") };
        status.SentSet(TypeUrls.Route, first);
        status.AckedSet(TypeUrls.Route, first);
        var ackedAt = _clock.Now;
        _clock.Step();
        var second = new[] { Route("r2", "other content") };
        status.SentSet(TypeUrls.Route, second);
        status.AckedSet(TypeUrls.Route, second);
        _clock.Step();
        status.SentSet(TypeUrls.Route, [Route("r3")]);

        // r1 and r2 stay as the client last acknowledged them; r3 is pending.
        Assert.Equal(new ResourceStatus(first[0].Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, ackedAt), status.Resources[(TypeUrls.Route, "r1")]);
        Assert.Equal(second[0].Version, status.Resources[(TypeUrls.Route, "r2")].Version);
        Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Route, "r2")].ClientStatus);
        Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Route, "r3")].ClientStatus);

        // Sent again, a kept name is the new response's once more.
        status.SentSet(TypeUrls.Route, [Route("r1"), Route("r3")]);
        Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Route, "r1")].ClientStatus);
        Assert.Equal(3, status.Resources.Count(k => k.Key.Type == TypeUrls.Route));
    }

    [Fact]
    public void Rds_And_Eds_Stop_Showing_What_An_Earlier_Response_Carried_Of_Names_No_Longer_Asked_For()
    {
        var status = new StreamStatus(1, "ads", _clock);
        var first = new[] { Route("r1"), Route("r2") };
        status.SentSet(TypeUrls.Route, first);
        status.AckedSet(TypeUrls.Route, first);
        status.SentSet(TypeUrls.Route, [Route("r3")]);

        // The client stops asking for r1 (Envoy drops it): shown as held, it would stay there for the stream's life.
        status.AsksOnlyFor(TypeUrls.Route, ["r2", "r3"]);

        Assert.Equal(["r2", "r3"], status.Resources.Keys.Where(k => k.Type == TypeUrls.Route).Select(k => k.Name).Order(StringComparer.Ordinal));
        Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Route, "r2")].ClientStatus);
        Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Route, "r3")].ClientStatus);
    }

    [Fact]
    public void Csds_Lists_Types_Then_Names_In_Ordinal_Order_And_The_Problem_Per_Requested_Type()
    {
        var status = new StreamStatus(1, "ads", _clock);
        status.Requested(TypeUrls.Route);
        status.Requested(TypeUrls.Cluster);
        status.Requested(TypeUrls.Route);
        status.SentSet(TypeUrls.Route, [Route("b"), Route("a")]);
        status.SentSet(TypeUrls.Cluster, [Cluster("z")]);

        var config = status.ToClientConfig("virtual node web does not exist");

        Assert.Equal(
            [(TypeUrls.Cluster, "z"), (TypeUrls.Route, "a"), (TypeUrls.Route, "b"), (TypeUrls.Cluster, ""), (TypeUrls.Route, "")],
            config.GenericXdsConfigs.Select(g => (g.TypeUrl, g.Name)));
        Assert.Equal([TypeUrls.Cluster, TypeUrls.Route], status.RequestedTypes);
        Assert.All(config.GenericXdsConfigs.Skip(3), g => Assert.Equal("virtual node web does not exist", g.ErrorState.Details));
    }

    [Fact]
    public void Delta_Keeps_A_Status_Per_Resource_Beside_The_Sotw_Types()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var a = Cluster("a");
        var sent = status.Sent(TypeUrls.Cluster, a.Name, a.Version);
        status.DoesNotExist(TypeUrls.Cluster, "missing");
        status.Acked(TypeUrls.Cluster, [a], sent);

        Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Cluster, "a")].ClientStatus);
        Assert.Equal(ClientResourceStatus.DoesNotExist, status.Resources[(TypeUrls.Cluster, "missing")].ClientStatus);
        status.Removed(TypeUrls.Cluster, "missing");
        Assert.Single(status.Resources);
    }

    [Fact]
    public void Delta_Resources_Of_One_Response_Share_What_The_Client_Said_And_Other_Responses_Keep_Theirs()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var (a, b, c) = (Cluster("a"), Cluster("b"), Cluster("c"));
        var first = status.Sent(TypeUrls.Cluster, [a, b]);
        _clock.Step();
        var second = status.Sent(TypeUrls.Cluster, [c]);
        _clock.Step();
        status.Acked(TypeUrls.Cluster, [a, b], first);

        var resources = status.Resources;
        Assert.Equal(ClientResourceStatus.Acked, resources[(TypeUrls.Cluster, "a")].ClientStatus);
        Assert.Equal(ClientResourceStatus.Acked, resources[(TypeUrls.Cluster, "b")].ClientStatus);
        Assert.Equal(_clock.Now, resources[(TypeUrls.Cluster, "b")].LastUpdated);
        Assert.Equal(ClientResourceStatus.Requested, resources[(TypeUrls.Cluster, "c")].ClientStatus);
        Assert.Equal(_clock.Now.AddSeconds(-1), resources[(TypeUrls.Cluster, "c")].LastUpdated);

        status.Nacked(TypeUrls.Cluster, [c], second, "bad c");
        status.Removed(TypeUrls.Cluster, "a");
        resources = status.Resources;
        Assert.Equal((ConfigStatus.Error, ClientResourceStatus.Nacked, "bad c"), (resources[(TypeUrls.Cluster, "c")].ConfigStatus, resources[(TypeUrls.Cluster, "c")].ClientStatus, resources[(TypeUrls.Cluster, "c")].Error));
        Assert.Equal((ConfigStatus.Synced, ClientResourceStatus.Acked, (string?)null), (resources[(TypeUrls.Cluster, "b")].ConfigStatus, resources[(TypeUrls.Cluster, "b")].ClientStatus, resources[(TypeUrls.Cluster, "b")].Error));
        Assert.Equal(["b", "c"], resources.Keys.Select(k => k.Name).Order());
        Assert.Equal(b.Version, resources[(TypeUrls.Cluster, "b")].Version);
    }

    [Fact]
    public void Delta_A_Late_Answer_To_An_Older_Response_Does_Not_Roll_Back_What_The_Client_Holds()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var (old, changed, removed) = (Cluster("a"), XdsResource.Create(TypeUrls.Cluster, "a", new Cluster { Name = "a", AltStatName = "changed" }), Cluster("b"));
        var first = status.Sent(TypeUrls.Cluster, [old, removed]);
        var second = status.Sent(TypeUrls.Cluster, [changed]);
        status.Removed(TypeUrls.Cluster, "b");
        status.Acked(TypeUrls.Cluster, [old, removed], first);

        // The session's own view (what it diffs against) and CSDS's are one map: both say the newer version, unanswered.
        Assert.Equal(changed.Version, status.Holdings(TypeUrls.Cluster).VersionOf("a"));
        var a = Assert.Single(status.Resources).Value;
        Assert.Equal((changed.Version, ClientResourceStatus.Requested), (a.Version, a.ClientStatus));

        // Refused, the newer version is not sent again (the session's view keeps it), while CSDS shows the client still
        // running the version the late ACK accepted, beside the one it refused.
        status.Nacked(TypeUrls.Cluster, [changed], second, "bad a");
        var nacked = status.Resources[(TypeUrls.Cluster, "a")];
        Assert.Equal((old.Version, ClientResourceStatus.Nacked, changed.Version), (nacked.Version, nacked.ClientStatus, nacked.RejectedVersion));
        Assert.Equal(changed.Version, status.Holdings(TypeUrls.Cluster).VersionOf("a"));
    }

    [Fact]
    public void Delta_Versions_The_Client_Had_On_Connecting_Are_Held_And_Shown_As_Acked_And_Missing_Names_Are_Shown_But_Not_Held()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var holdings = status.Holdings(TypeUrls.Cluster);
        holdings.Seed("a", "v-a", status.HeldOnConnecting());
        status.DoesNotExist(TypeUrls.Cluster, "missing");

        Assert.Equal("v-a", holdings.VersionOf("a"));
        Assert.False(holdings.Holds("missing"));
        Assert.Equal(["a"], holdings.HeldNames());
        Assert.Equal([(TypeUrls.Cluster, "a"), (TypeUrls.Cluster, "missing")], status.Resources.Keys.Order());

        // After an xDS server's restart every delta proxy reconnects this way: proxy status must still show what each holds.
        Assert.Equal(new ResourceStatus("v-a", ConfigStatus.Synced, ClientResourceStatus.Acked, null, _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);

        var a = Cluster("a");
        status.Sent(TypeUrls.Cluster, [a]);
        Assert.Equal(a.Version, holdings.VersionOf("a"));
        Assert.Equal(ClientResourceStatus.Requested, status.Resources[(TypeUrls.Cluster, "a")].ClientStatus);
        Assert.Same(holdings, status.Holdings(TypeUrls.Cluster));
    }

    [Fact]
    public void Delta_A_Whole_Wildcard_Response_Kept_As_Its_Set_Answers_Like_An_Entry_Per_Resource()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var set = new Mesh.XdsServer.Snapshots.ResourceSet([Cluster("a"), Cluster("b"), Cluster("c")]);
        var holdings = status.Holdings(TypeUrls.Cluster);
        var first = status.Sent(TypeUrls.Cluster, set.Wildcard, set);
        var sentAt = _clock.Now;
        Assert.Equal(["a", "b", "c"], status.Resources.Keys.Select(k => k.Name).Order());
        Assert.All(set.Wildcard, r => Assert.Equal(
            new ResourceStatus(r.Version, ConfigStatus.Stale, ClientResourceStatus.Requested, null, sentAt),
            status.Resources[(TypeUrls.Cluster, r.Name)]));

        // A change to b (sent, not answered yet) and the removal of c, then the late ACK of the first response.
        _clock.Step();
        var changed = XdsResource.Create(TypeUrls.Cluster, "b", new Cluster { Name = "b", AltStatName = "changed" });
        status.Sent(TypeUrls.Cluster, [changed]);
        status.Removed(TypeUrls.Cluster, "c");
        _clock.Step();
        status.Acked(TypeUrls.Cluster, set.Wildcard, first);

        Assert.Equal((set.Wildcard[0].Version, changed.Version, (string?)null), (holdings.VersionOf("a"), holdings.VersionOf("b"), holdings.VersionOf("c")));
        Assert.Equal(["a", "b"], holdings.HeldNames().Order());
        Assert.Equal(2, holdings.HeldCount);
        var resources = status.Resources;
        Assert.Equal(["a", "b"], resources.Keys.Select(k => k.Name).Order());
        Assert.Equal((ClientResourceStatus.Acked, _clock.Now), (resources[(TypeUrls.Cluster, "a")].ClientStatus, resources[(TypeUrls.Cluster, "a")].LastUpdated));
        Assert.Equal((changed.Version, ClientResourceStatus.Requested), (resources[(TypeUrls.Cluster, "b")].Version, resources[(TypeUrls.Cluster, "b")].ClientStatus));

        // c comes back: held again, as sent.
        status.Sent(TypeUrls.Cluster, [set.Wildcard[2]]);
        Assert.Equal(set.Wildcard[2].Version, holdings.VersionOf("c"));
        Assert.Equal(3, holdings.HeldCount);
    }

    [Fact]
    public void Delta_A_Response_That_Is_Not_A_Sets_Whole_List_Is_Kept_Per_Resource()
    {
        var status = new StreamStatus(1, "ads-delta", _clock);
        var set = new Mesh.XdsServer.Snapshots.ResourceSet([Cluster("a"), Cluster("b")]);
        var holdings = status.Holdings(TypeUrls.Cluster);
        holdings.Seed("a", set.Wildcard[0].Version, status.HeldOnConnecting());
        status.Sent(TypeUrls.Cluster, set.Wildcard, set);
        status.Removed(TypeUrls.Cluster, "a");

        Assert.Equal(["b"], holdings.HeldNames());
        Assert.Equal(["b"], status.Resources.Keys.Select(k => k.Name));
    }

    [Fact]
    public void Delta_A_Nacked_Version_Is_Shown_Over_The_One_The_Client_Acked_Before_It()
    {
        // b from the type's first response (kept whole as its set), a sent on its own; both ACKed, then both changed and refused.
        var status = new StreamStatus(1, "ads-delta", _clock);
        var set = new Mesh.XdsServer.Snapshots.ResourceSet([Cluster("b")]);
        status.Acked(TypeUrls.Cluster, set.Wildcard, status.Sent(TypeUrls.Cluster, set.Wildcard, set));
        var a = Cluster("a");
        status.Acked(TypeUrls.Cluster, [a], status.Sent(TypeUrls.Cluster, [a]));
        var ackedAt = _clock.Now;
        _clock.Step();
        var (changedA, changedB) = (Changed("a"), Changed("b"));
        var refused = status.Sent(TypeUrls.Cluster, [changedA, changedB]);
        _clock.Step();
        status.Nacked(TypeUrls.Cluster, [changedA, changedB], refused, "bad");

        Assert.Equal(new ResourceStatus(a.Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "bad", ackedAt, changedA.Version, _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);
        Assert.Equal(new ResourceStatus(set.Wildcard[0].Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "bad", ackedAt, changedB.Version, _clock.Now), status.Resources[(TypeUrls.Cluster, "b")]);

        // Refused again at a newer version, it still keeps the one it ACKed; a newer one ACKed is all there is.
        var (newerA, newerB) = (Changed("a", "newer"), Changed("b", "newer"));
        var again = status.Sent(TypeUrls.Cluster, [newerA, newerB]);
        status.Nacked(TypeUrls.Cluster, [newerA], again, "bad again");
        Assert.Equal((a.Version, newerA.Version), (status.Resources[(TypeUrls.Cluster, "a")].Version, status.Resources[(TypeUrls.Cluster, "a")].RejectedVersion));
        var last = status.Sent(TypeUrls.Cluster, [Cluster("a")]);
        status.Acked(TypeUrls.Cluster, [Cluster("a")], last);
        Assert.Equal(new ResourceStatus(a.Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);
    }

    [Fact]
    public void Delta_The_Baselines_List_Sent_Again_After_The_Client_Dropped_It_Takes_The_Answer_To_That_Response()
    {
        // A wildcard stream that unsubscribed from "*" (dropping all it held) and subscribed again is sent the very
        // list of its first response again.
        var status = new StreamStatus(1, "ads-delta", _clock);
        var set = new Mesh.XdsServer.Snapshots.ResourceSet([Cluster("a"), Cluster("b")]);
        status.Acked(TypeUrls.Cluster, set.Wildcard, status.Sent(TypeUrls.Cluster, set.Wildcard, set));
        status.Removed(TypeUrls.Cluster, "a");
        status.Removed(TypeUrls.Cluster, "b");
        Assert.Empty(status.Resources);

        _clock.Step();
        var again = status.Sent(TypeUrls.Cluster, set.Wildcard, set);
        Assert.All(status.Resources.Values, r => Assert.Equal(ClientResourceStatus.Requested, r.ClientStatus));
        _clock.Step();
        status.Acked(TypeUrls.Cluster, set.Wildcard, again);

        Assert.Equal(2, status.Resources.Count);
        Assert.All(status.Resources.Values, r => Assert.Equal((ClientResourceStatus.Acked, _clock.Now), (r.ClientStatus, r.LastUpdated)));
    }

    [Fact]
    public void Delta_A_Refused_Removal_Shows_The_Version_The_Client_Still_Runs_Until_The_Name_Is_Sent_Again()
    {
        // b from the type's first response (kept whole as its set), a named and sent on its own; both ACKed.
        var status = new StreamStatus(1, "ads-delta", _clock);
        var holdings = status.Holdings(TypeUrls.Cluster);
        var set = new Mesh.XdsServer.Snapshots.ResourceSet([Cluster("b")]);
        status.Acked(TypeUrls.Cluster, set.Wildcard, status.Sent(TypeUrls.Cluster, set.Wildcard, set));
        var a = Cluster("a");
        status.Acked(TypeUrls.Cluster, [a], status.Sent(TypeUrls.Cluster, [a]));
        var ackedAt = _clock.Now;

        // One response removes both (a, named, is reported missing); until the client answers, neither is its own.
        _clock.Step();
        var removal = status.Sent(TypeUrls.Cluster, []);
        status.DoesNotExist(holdings, "a", removal);
        holdings.RemovedBy("b", removal);
        Assert.Equal(ClientResourceStatus.DoesNotExist, Assert.Single(status.Resources).Value.ClientStatus);

        // Refused: the client still runs both at the versions it ACKed, NACKED, the refused version empty.
        _clock.Step();
        status.Nacked(TypeUrls.Cluster, [], removal, "bad");
        Assert.Equal(new ResourceStatus(a.Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "bad", ackedAt, "", _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);
        Assert.Equal(new ResourceStatus(set.Wildcard[0].Version, ConfigStatus.Error, ClientResourceStatus.Nacked, "bad", ackedAt, "", _clock.Now), status.Resources[(TypeUrls.Cluster, "b")]);
        var csds = status.ToClientConfig(null).GenericXdsConfigs.Single(g => g.Name == "b");
        Assert.Equal((set.Wildcard[0].Version, "", "bad"), (csds.VersionInfo, csds.ErrorState.VersionInfo, csds.ErrorState.Details));

        // The session does not count them as held (their removal is not sent again); a name sent again is the client's again.
        Assert.False(holdings.Holds("a") || holdings.Holds("b"));
        status.Acked(TypeUrls.Cluster, [a], status.Sent(TypeUrls.Cluster, [a]));
        Assert.Equal(new ResourceStatus(a.Version, ConfigStatus.Synced, ClientResourceStatus.Acked, null, _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);

        // A removal the client ACKs leaves nothing; one dropped by unsubscribing neither.
        var acked = status.Sent(TypeUrls.Cluster, []);
        holdings.RemovedBy("a", acked);
        status.Acked(TypeUrls.Cluster, [], acked);
        holdings.Removed("b");
        Assert.Empty(status.Resources);
    }

    [Fact]
    public void Delta_A_Refused_Removal_Of_A_Version_Still_Unanswered_Shows_What_The_Client_Made_Of_That_Version()
    {
        // a is changed by one response and removed by the next before the client answers either; it answers both in
        // order. The version it runs when it refuses the removal is what it made of the change: the one it ACKed before
        // if it refused the change, the changed one (from its ACK) if it took it.
        foreach (var updateTaken in new[] { false, true })
        {
            var status = new StreamStatus(1, "ads-delta", _clock);
            var holdings = status.Holdings(TypeUrls.Cluster);
            var a = Cluster("a");
            status.Acked(TypeUrls.Cluster, [a], status.Sent(TypeUrls.Cluster, [a]));
            var ackedAt = _clock.Now;
            _clock.Step();
            var changed = Changed("a");
            var update = status.Sent(TypeUrls.Cluster, [changed]);
            var removal = status.Sent(TypeUrls.Cluster, []);
            holdings.RemovedBy("a", removal);

            _clock.Step();
            var answeredAt = _clock.Now;
            if (updateTaken)
            {
                status.Acked(TypeUrls.Cluster, [changed], update);
            }
            else
            {
                status.Nacked(TypeUrls.Cluster, [changed], update, "bad update");
            }

            _clock.Step();
            status.Nacked(TypeUrls.Cluster, [], removal, "bad removal");
            var (runs, since) = updateTaken ? (changed.Version, answeredAt) : (a.Version, ackedAt);
            Assert.Equal(new ResourceStatus(runs, ConfigStatus.Error, ClientResourceStatus.Nacked, "bad removal", since, "", _clock.Now), status.Resources[(TypeUrls.Cluster, "a")]);
        }

        // Changed twice before the removal: it took the first change and refused the second, so it runs the first.
        var twice = new StreamStatus(1, "ads-delta", _clock);
        var c = Cluster("c");
        twice.Acked(TypeUrls.Cluster, [c], twice.Sent(TypeUrls.Cluster, [c]));
        var (firstChange, secondChange) = (Changed("c"), Changed("c", "again"));
        var first = twice.Sent(TypeUrls.Cluster, [firstChange]);
        var second = twice.Sent(TypeUrls.Cluster, [secondChange]);
        var removedC = twice.Sent(TypeUrls.Cluster, []);
        twice.Holdings(TypeUrls.Cluster).RemovedBy("c", removedC);
        _clock.Step();
        var firstTakenAt = _clock.Now;
        twice.Acked(TypeUrls.Cluster, [firstChange], first);
        _clock.Step();
        twice.Nacked(TypeUrls.Cluster, [secondChange], second, "bad change");
        twice.Nacked(TypeUrls.Cluster, [], removedC, "bad removal");
        Assert.Equal((firstChange.Version, firstTakenAt), (twice.Resources[(TypeUrls.Cluster, "c")].Version, twice.Resources[(TypeUrls.Cluster, "c")].LastUpdated));

        // A name the client never held, sent and removed, both refused: it runs nothing of it, which is nothing to show.
        var fresh = new StreamStatus(1, "ads-delta", _clock);
        var b = Cluster("b");
        var sent = fresh.Sent(TypeUrls.Cluster, [b]);
        var removed = fresh.Sent(TypeUrls.Cluster, []);
        fresh.Holdings(TypeUrls.Cluster).RemovedBy("b", removed);
        fresh.Nacked(TypeUrls.Cluster, [b], sent, "bad");
        fresh.Nacked(TypeUrls.Cluster, [], removed, "bad removal");
        Assert.Empty(fresh.Resources);
    }

    private static XdsResource Changed(string name, string content = "changed") =>
        XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name, AltStatName = content });

    private static XdsResource Cluster(string name) => XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name });

    private static XdsResource Route(string name, string? content = null) =>
        XdsResource.Create(TypeUrls.Route, name, new RouteConfiguration { Name = name, VirtualHosts = { new VirtualHost { Name = content ?? name } } });

    private sealed class SteppingClock : TimeProvider
    {
        public DateTimeOffset Now { get; private set; } = new(2026, 11, 29, 6, 0, 0, TimeSpan.Zero);

        public void Step() => Now = Now.AddSeconds(1);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
