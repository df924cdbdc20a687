using Envoy.Admin.V3;
using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Protocol;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

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
                SendPending(state, i, First);
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
    public void An_Answer_To_A_Forgotten_Response_That_Comes_Again_Answers_Nothing()
    {
        // Responses 1 and 2 are forgotten past the limit. The answer to 1 is taken; the same nonce again (a repeated
        // or stale answer) is not an answer to a forgotten response, while 2's answer still is one.
        var (state, status) = NewStateAndStatus();
        for (var i = 1; i <= DeltaTypeState.MaxPending + 2; i++)
        {
            SendPending(state, i, First);
        }

        Assert.True(state.WasForgotten("1", out var first));
        state.AnsweredForgotten(first, status.Ack());

        Assert.False(state.WasForgotten("1", out _));
        Assert.True(state.WasForgotten("2", out var second));
        state.AnsweredForgotten(second, status.Nack("bad"));
        Assert.False(state.WasForgotten("1", out _));
        Assert.False(state.WasForgotten("2", out _));
    }

    [Fact]
    public void An_Answer_That_Comes_Again_After_Later_Responses_Are_Forgotten_Answers_Nothing()
    {
        // Response 1 is forgotten past the limit and answered past, with 2 to 4, when 5 is answered. Once 22 to 38 are
        // sent and 22 forgotten in its turn, nonces 1 and 5 coming again (repeated or stale answers) are not answers to
        // forgotten responses: they were counted as ACKs or NACKs again, as 22's answer is.
        var (state, status) = NewStateAndStatus();
        for (var i = 1; i <= DeltaTypeState.MaxPending + 1; i++)
        {
            SendPending(state, i, First);
        }

        AnswerPending(state, 5, status.Ack());
        AnswerPending(state, 17, status.Ack());
        for (var i = 22; i <= 22 + DeltaTypeState.MaxPending; i++)
        {
            SendPending(state, i, First);
        }

        Assert.False(state.WasForgotten("1", out _));
        Assert.False(state.WasForgotten("5", out _));
        Assert.True(state.WasForgotten("22", out _));
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
            SendPending(state, i, First);
        }

        var answer = status.Nack("bad");
        var (resources, sent) = state.Answered(state.PendingIndex("2"), answer);
        holdings.Answered(resources, sent, answer);

        Assert.Equal(ClientResourceStatus.Acked, status.Resources[(TypeUrls.Cluster, "c")].ClientStatus);
        Assert.False(state.WasForgotten("1", out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_Forgotten_Response_Accepted_Is_What_The_Client_Runs_Of_A_Name_A_Later_One_Sent_Again(bool answeredPast)
    {
        // Response 1 sends c at one version, and is forgotten past the limit when response 17 sends c at another.
        // The client takes 1 (it ACKs it, or answers past it) and refuses 17: it runs 1's version of c. That was
        // lost with 1's list, so c showed the version it ran before 1 (none) instead.
        var (state, status) = NewStateAndStatus();
        XdsResource c1 = Cluster("c", "1"), c2 = Cluster("c", "2");
        SendPending(state, 1, [c1]);
        for (var i = 2; i <= DeltaTypeState.MaxPending; i++)
        {
            SendPending(state, i, First);
        }

        SendPending(state, DeltaTypeState.MaxPending + 1, [c2]);
        Assert.True(state.WasForgotten("1", out var number));

        if (!answeredPast)
        {
            state.AnsweredForgotten(number, status.Ack());
        }

        AnswerPending(state, DeltaTypeState.MaxPending, status.Ack());
        AnswerPending(state, DeltaTypeState.MaxPending + 1, status.Nack("bad"));

        var c = status.Resources[(TypeUrls.Cluster, "c")];
        Assert.Equal((c1.Version, ClientResourceStatus.Nacked, c2.Version), (c.Version, c.ClientStatus, c.RejectedVersion));
    }

    [Fact]
    public void A_Forgotten_Response_Accepted_Is_What_The_Client_Runs_Of_A_Name_A_Later_One_Sent_Again_And_Another_Removed()
    {
        // As above, and response 18 removes c: the client refuses 17 and then the removal, so it still runs 1's version.
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        XdsResource c1 = Cluster("c", "1"), c2 = Cluster("c", "2");
        SendPending(state, 1, [c1]);
        for (var i = 2; i <= DeltaTypeState.MaxPending; i++)
        {
            SendPending(state, i, First);
        }

        SendPending(state, DeltaTypeState.MaxPending + 1, [c2]);
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch, nonce: DeltaTypeState.MaxPending + 2);
        holdings.RemovedBy("c", removal);
        state.AddPending((DeltaTypeState.MaxPending + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), [], removal);
        Assert.True(state.WasForgotten("1", out var number));

        state.AnsweredForgotten(number, status.Ack());
        AnswerPending(state, DeltaTypeState.MaxPending, status.Ack());
        AnswerPending(state, DeltaTypeState.MaxPending + 1, status.Nack("bad"));
        AnswerPending(state, DeltaTypeState.MaxPending + 2, status.Nack("bad"));

        var c = status.Resources[(TypeUrls.Cluster, "c")];
        Assert.Equal((c1.Version, ClientResourceStatus.Nacked), (c.Version, c.ClientStatus));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_Accepted_Version_Is_What_The_Client_Runs_Of_A_Name_A_Later_One_Sent_Again_And_Another_Removed(bool baseline)
    {
        // Response 1 sends c at one version (a wildcard type's first response, held as the baseline, or an ordinary
        // one), 2 sends c at another and 3 removes it. The client ACKs 1 and refuses 2 and the removal: it still runs
        // 1's version. The ACK of 1 did not reach the removal (c had an entry, dropped or reported missing, rather
        // than none), so the refusal of 2 left c with nothing to show.
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        XdsResource c1 = Cluster("c", "1"), c2 = Cluster("c", "2");
        SendFirst(state, c1, baseline);

        SendPending(state, 2, [c2]);
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch, nonce: 3);
        if (baseline)
        {
            holdings.RemovedBy("c", removal);
        }
        else
        {
            holdings.DoesNotExist("c", DateTimeOffset.UnixEpoch, removal);
        }

        state.AddPending("3", [], removal);

        AnswerPending(state, 1, status.Ack());
        AnswerPending(state, 2, status.Nack("bad"));
        AnswerPending(state, 3, status.Nack("bad"));

        Assert.True(status.Resources.TryGetValue((TypeUrls.Cluster, "c"), out var c));
        Assert.Equal((c1.Version, ClientResourceStatus.Nacked), (c.Version, c.ClientStatus));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_Forgotten_Response_Accepted_Is_What_The_Client_Runs_Of_A_Name_A_Later_One_Sent_Again_After_It_Was_Forgotten(bool baseline)
    {
        // As above, but c is sent again by response 18, after 1 was forgotten (when 17 went out): 1's version was then
        // replaced in c's entry and lost, so the refusal of 18 showed the version c ran before 1 (none).
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        XdsResource c1 = Cluster("c", "1"), c2 = Cluster("c", "2");
        SendFirst(state, c1, baseline);

        for (var i = 2; i <= DeltaTypeState.MaxPending + 1; i++)
        {
            SendPending(state, i, First);
        }

        SendPending(state, DeltaTypeState.MaxPending + 2, [c2]);
        Assert.True(state.WasForgotten("1", out var number));
        state.AnsweredForgotten(number, status.Ack());
        AnswerPending(state, DeltaTypeState.MaxPending + 1, status.Ack());
        AnswerPending(state, DeltaTypeState.MaxPending + 2, status.Nack("bad"));

        var c = status.Resources[(TypeUrls.Cluster, "c")];
        Assert.Equal((c1.Version, ClientResourceStatus.Nacked, c2.Version), (c.Version, c.ClientStatus, c.RejectedVersion));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_Version_Sent_Again_After_An_Unanswered_Removal_Refused_Shows_What_The_Removal_Left(bool removalTaken)
    {
        // Response 1 sends c at one version, 2 removes it and 3 sends it again at another, none answered yet. The
        // client takes 1, takes (or refuses) the removal and refuses 3: taken, it runs nothing of c, shown as for a
        // first send refused (no version beside the refused one); refused, it still runs 1's version. Sending c again
        // let the removal go, so the ACK of 1 made 1's version the one it ran even after it took the removal.
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        XdsResource c1 = Cluster("c", "1"), c3 = Cluster("c", "3");
        SendPending(state, 1, [c1]);
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch, nonce: 2);
        holdings.RemovedBy("c", removal);
        state.AddPending("2", [], removal);
        SendPending(state, 3, [c3]);

        AnswerPending(state, 1, status.Ack());
        AnswerPending(state, 2, removalTaken ? status.Ack() : status.Nack("bad"));
        AnswerPending(state, 3, status.Nack("bad"));

        var c = status.Resources[(TypeUrls.Cluster, "c")];
        Assert.Equal((removalTaken ? "" : c1.Version, ClientResourceStatus.Nacked, c3.Version), (c.Version, c.ClientStatus, c.RejectedVersion));
        Assert.False(holdings.KeepsRemovalOf("c"));
    }

    [Fact]
    public void A_Version_Sent_After_A_Refused_Removal_And_Refused_Shows_The_Version_The_Removal_Left()
    {
        // The client takes c's first version, refuses its removal and then refuses c sent again: it still runs the
        // first version. Sending c again let the refused removal go, so status showed it running none.
        var (state, status) = NewStateAndStatus();
        var holdings = state.ClientHas;
        XdsResource c1 = Cluster("c", "1"), c3 = Cluster("c", "3");
        SendPending(state, 1, [c1]);
        AnswerPending(state, 1, status.Ack());
        var removal = holdings.Sent([], DateTimeOffset.UnixEpoch, nonce: 2);
        holdings.RemovedBy("c", removal);
        state.AddPending("2", [], removal);
        AnswerPending(state, 2, status.Nack("bad"));
        SendPending(state, 3, [c3]);
        AnswerPending(state, 3, status.Nack("bad"));

        var c = status.Resources[(TypeUrls.Cluster, "c")];
        Assert.Equal((c1.Version, ClientResourceStatus.Nacked, c3.Version), (c.Version, c.ClientStatus, c.RejectedVersion));
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


    [Theory]
    // Two (or three) responses forgotten past the limit sent c, and nothing later did, or a later one sent it again
    // (as the response that pushed the second out: 17 is the first's, 18 the second's; or after both were) or removed it.
    [InlineData("1 2 .16")]
    [InlineData("0 1 2 .16")]
    [InlineData("1 2 .15 3")]
    [InlineData("1 2 .16 3")]
    [InlineData("1 .7 2 .7 3 .7 -")]
    [InlineData("1 2 3 - 5 .16")]
    // c removed, sent again and removed again before the first removal is answered (and sent again after that),
    // the responses pending or forgotten past the limit.
    [InlineData("1 - 3 -")]
    [InlineData("1 - 3 - 5")]
    [InlineData("1 2 - 4 -")]
    [InlineData("1 2 - 4 - 6")]
    [InlineData("1 - 3 - .16")]
    [InlineData("1 - 3 .14 -")]
    [InlineData("1 - 3 .16 -")]
    [InlineData("1 - .16 3 -")]
    [InlineData("1 .15 - 3 -")]
    [InlineData("1 2 .15 - 4 -")]
    [InlineData("1 - 3 4 - .16")]
    [InlineData("1 2 - 4 5 .13 -")]
    [InlineData("1 - 3 - .12 5")]
    // A response that sent c, forgotten past the limit before or after a later one removed c (and one after that sent
    // it again): its answer reaches the name through the removal.
    [InlineData("1 .15 -")]
    [InlineData("1 .16 -")]
    [InlineData("1 - .16")]
    [InlineData("1 - 3 .16")]
    [InlineData("1 - 3 4 .16")]
    [InlineData("1 2 - 4")]
    [InlineData("1 2 - 4 .16")]
    [InlineData("1 2 .14 - 4")]
    public void Status_Shows_What_The_Client_Runs_Of_A_Name_Whatever_It_Answers(string responses)
    {
        // Each response sends c at a version (its tag), removes it (-) or sends another name (.N: N of them, which
        // push earlier ones past the pending limit). The client answers each of c's responses with an ACK or a NACK,
        // or answers past it; the others it ACKs. It applies an ACKed response whole and a NACKed one not at all, in
        // order (one answered past it took): status must show of c the version it runs, and the one it refused last.
        var ops = Parse(responses);
        var touching = ops.Count(op => op != ".");
        var failures = new List<string>();
        foreach (var answers in AnswerCombinations(touching))
        {
            var (state, status) = NewStateAndStatus();
            var versions = new Dictionary<string, XdsResource>();
            for (var i = 0; i < ops.Count; i++)
            {
                if (ops[i] == ".")
                {
                    SendPending(state, i + 1, First);
                }
                else if (ops[i] == "-")
                {
                    RemovePending(state, i + 1, "c");
                }
                else
                {
                    SendPending(state, i + 1, [versions[ops[i]] = Cluster("c", ops[i])]);
                }
            }

            string? runs = null;
            var k = 0;
            for (var i = 0; i < ops.Count; i++)
            {
                var answer = ops[i] == "." ? 'A' : answers[k++];
                if (answer != '_')
                {
                    Answer(state, i + 1, answer == 'A' ? status.Ack() : status.Nack("bad"));
                }

                if (ops[i] != "." && answer != 'N')
                {
                    runs = ops[i] == "-" ? null : versions[ops[i]].Version;
                }
            }

            var last = ops.Last(op => op != ".");
            var lastAcked = answers[^1] == 'A';
            (string, ClientResourceStatus, string)? expected = last == "-"
                ? lastAcked || runs is null ? null : (runs, ClientResourceStatus.Nacked, "")
                : lastAcked ? (runs!, ClientResourceStatus.Acked, "") : (runs ?? "", ClientResourceStatus.Nacked, versions[last].Version);
            (string, ClientResourceStatus, string)? shown = status.Resources.TryGetValue((TypeUrls.Cluster, "c"), out var c)
                ? (c.Version, c.ClientStatus, c.RejectedVersion ?? "")
                : null;
            if (shown != expected)
            {
                failures.Add($"answered {answers}: shown {Describe(shown, versions)}, runs {Describe(expected, versions)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Responses as <see cref="Status_Shows_What_The_Client_Runs_Of_A_Name_Whatever_It_Answers"/> writes them.</summary>
    private static List<string> Parse(string responses)
    {
        var ops = new List<string>();
        foreach (var token in responses.Split(' '))
        {
            if (token.StartsWith('.'))
            {
                ops.AddRange(Enumerable.Repeat(".", int.Parse(token[1..], System.Globalization.CultureInfo.InvariantCulture)));
            }
            else
            {
                ops.Add(token);
            }
        }

        return ops;
    }

    /// <summary>Every way to answer <paramref name="count"/> responses in order: A (ACK), N (NACK) or _ (answered past; not the last).</summary>
    private static IEnumerable<string> AnswerCombinations(int count)
    {
        IEnumerable<string> all = [""];
        for (var i = 0; i < count; i++)
        {
            var choices = i == count - 1 ? "AN" : "AN_";
            all = all.SelectMany(prefix => choices.Select(choice => prefix + choice));
        }

        return all;
    }

    private static string Describe((string Version, ClientResourceStatus Status, string Rejected)? shown, Dictionary<string, XdsResource> versions)
    {
        string Tag(string version) => version == "" ? "none" : versions.FirstOrDefault(v => v.Value.Version == version).Key ?? version;
        return shown is { } s ? $"{Tag(s.Version)} {s.Status}{(s.Status == ClientResourceStatus.Nacked ? $" (refused {Tag(s.Rejected)})" : "")}" : "nothing";
    }

    /// <summary>Removes <paramref name="name"/> in the response with nonce <paramref name="nonce"/>, pending its answer, as the session does.</summary>
    private static void RemovePending(DeltaTypeState state, int nonce, string name)
    {
        var removal = state.ClientHas.Sent([], DateTimeOffset.UnixEpoch, nonce: nonce, forgottenThrough: state.ForgottenThrough);
        state.ClientHas.RemovedBy(name, removal);
        state.AddPending(nonce.ToString(System.Globalization.CultureInfo.InvariantCulture), [], removal);
    }

    /// <summary>
    /// The client gives <paramref name="answer"/> to the response with nonce <paramref name="nonce"/>, pending or
    /// forgotten past the limit, as the session does.
    /// </summary>
    private static void Answer(DeltaTypeState state, int nonce, DeltaOutcome answer)
    {
        var text = nonce.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (state.PendingIndex(text) >= 0)
        {
            AnswerPending(state, nonce, answer);
            return;
        }

        Assert.True(state.WasForgotten(text, out var number));
        state.AnsweredForgotten(number, answer);
    }


    /// <summary>Response 1, sending <paramref name="resource"/>: a wildcard type's first response (held as the baseline) or an ordinary one.</summary>
    private static void SendFirst(DeltaTypeState state, XdsResource resource, bool baseline)
    {
        if (baseline)
        {
            var set = new ResourceSet([resource]);
            state.AddPending("1", set.Wildcard, state.ClientHas.Sent(set.Wildcard, DateTimeOffset.UnixEpoch, set, nonce: 1));
        }
        else
        {
            SendPending(state, 1, [resource]);
        }
    }
    private static DeltaTypeState NewState() => NewStateAndStatus().State;

    private static (DeltaTypeState State, StreamStatus Status) NewStateAndStatus()
    {
        var status = new StreamStatus(1, "ads-delta", TimeProvider.System);
        return (new DeltaTypeState { ClientHas = status.Holdings(TypeUrls.Cluster) }, status);
    }

    /// <summary>Sends <paramref name="resources"/> in the response with nonce <paramref name="nonce"/>, pending its answer, as the session does.</summary>
    private static void SendPending(DeltaTypeState state, int nonce, IReadOnlyList<XdsResource> resources) =>
        state.AddPending(
            nonce.ToString(System.Globalization.CultureInfo.InvariantCulture),
            resources,
            state.ClientHas.Sent(resources, DateTimeOffset.UnixEpoch, nonce: nonce, forgottenThrough: state.ForgottenThrough));

    /// <summary>The client gives <paramref name="answer"/> to the pending response with nonce <paramref name="nonce"/>, as the session does.</summary>
    private static void AnswerPending(DeltaTypeState state, int nonce, DeltaOutcome answer)
    {
        var (resources, sent) = state.Answered(state.PendingIndex(nonce.ToString(System.Globalization.CultureInfo.InvariantCulture)), answer);
        state.ClientHas.Answered(resources, sent, answer);
    }

    /// <summary>A cluster whose <paramref name="tag"/> (its alt stat name) tells one version of it from another.</summary>
    private static XdsResource Cluster(string name, string tag = "") => XdsResource.Create(TypeUrls.Cluster, name, new Cluster { Name = name, AltStatName = tag });
}
