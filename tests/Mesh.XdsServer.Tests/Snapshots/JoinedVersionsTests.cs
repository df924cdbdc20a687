using Envoy.Config.Cluster.V3;
using Mesh.XdsServer.Resources;
using Mesh.XdsServer.Snapshots;

namespace Mesh.XdsServer.Tests.Snapshots;

/// <summary>
/// A node's own resources merged into a shared part's set (<see cref="ResourceSet.Join"/>) are versioned without
/// hashing the part's lines again where they can be shared (<see cref="JoinedVersions"/>: a version remembered by
/// the exact own lines, a hash state saved over the shared lines before the node's first own line, the rest copied
/// from the part's lines encoded once). Versions are sent to proxies and shared by replicas, so every one must be
/// byte for byte the plain <see cref="Hashing.VersionOf(IReadOnlyList{XdsResource})"/> of the whole sorted list,
/// wherever the own lines sort and however often the part is joined. The expected strings below were computed with
/// another tool (Python's hashlib) from the description in <see cref="HashingTests"/>: a cluster named n, alone in
/// its message, serialises to 0x0a, n's length, n.
/// </summary>
public sealed class JoinedVersionsTests
{
    [Fact]
    public void Own_Lines_First_Between_And_Last_Give_The_Whole_Lists_Versions()
    {
        // "e" is on demand: in every list, not in the wildcard.
        var shared = new ResourceSet([Cluster("d"), Cluster("b"), Cluster("e", onDemandOnly: true), Cluster("f")]);

        // Each twice: the second time through what the first left (a remembered version, a saved state).
        for (var pass = 0; pass < 2; pass++)
        {
            AssertJoin(shared, ["a"], "fbd1ed1befd57765", "fe198c1ac0838d4e");
            AssertJoin(shared, ["c"], "ef72a76cdb7fb1a4", "0c13643026abbd30");
            AssertJoin(shared, ["g"], "9049824a8998fe12", "ed69f938c1d466b0");
            AssertJoin(shared, ["g", "a", "c"], "a63c2e8500132fb6", "cad67bad2c164927");
            AssertJoin(shared, ["c", "e2"], "4618cff2d7fea3ab", "ceab51360a416bb1");
        }
    }

    [Fact]
    public void A_Shared_Prefix_Long_Enough_For_A_Saved_State_Gives_The_Whole_Lists_Versions()
    {
        // The first shared line alone is over a kilobyte: joins after it continue a saved hash of it.
        var shared = new ResourceSet([Cluster("s"), Cluster("p-" + new string('x', 1200)), Cluster("q")]);

        for (var pass = 0; pass < 2; pass++)
        {
            AssertJoin(shared, ["a"], "d87bdceffcdfb512", "d87bdceffcdfb512");
            AssertJoin(shared, ["p-y"], "234946d09dfdb885", "234946d09dfdb885");
            AssertJoin(shared, ["r"], "8af76cb3afe6e92a", "8af76cb3afe6e92a");
            AssertJoin(shared, ["t"], "cb11ceb04ec53cd4", "cb11ceb04ec53cd4");
            AssertJoin(shared, ["r", "a", "t"], "41743d4665759a2c", "41743d4665759a2c");
        }
    }

    [Fact]
    public void Own_Lines_Joined_To_An_Empty_Wildcard_Are_Versioned_Alone()
    {
        var shared = new ResourceSet([Cluster("b", onDemandOnly: true)]);

        var joined = ResourceSet.Join(shared, [Cluster("c"), Cluster("a")]);

        Assert.Equal("6dcafd65fd5fe2c0", joined.WildcardVersion);
        Assert.Equal(["a", "c"], joined.Wildcard.Select(r => r.Name));
    }

    [Fact]
    public void A_Name_Also_Shared_Is_Refused_As_The_Whole_Set_Refuses_It()
    {
        var shared = new ResourceSet([Cluster("b"), Cluster("d")]);

        var error = Assert.Throws<ArgumentException>(() => ResourceSet.Join(shared, [Cluster("a"), Cluster("d", port: 81)]));

        Assert.Equal(Assert.Throws<ArgumentException>(() => new ResourceSet([Cluster("a"), Cluster("d", port: 81), Cluster("b"), Cluster("d")])).Message, error.Message);
    }

    [Fact]
    public void The_Same_Own_Names_With_Other_Content_Get_Their_Own_Versions()
    {
        // Remembered by the exact lines: a node whose own cluster has the same name as another's but other content
        // must not get the other's version.
        var shared = new ResourceSet([Cluster("b"), Cluster("d")]);

        var first = ResourceSet.Join(shared, [Cluster("c", port: 80)]);
        var other = ResourceSet.Join(shared, [Cluster("c", port: 81)]);
        var again = ResourceSet.Join(shared, [Cluster("c", port: 80)]);

        Assert.Equal(Hashing.VersionOf(first.All), first.AllVersion);
        Assert.Equal(Hashing.VersionOf(other.All), other.AllVersion);
        Assert.NotEqual(first.AllVersion, other.AllVersion);
        Assert.Equal(first.AllVersion, again.AllVersion);
    }

    [Fact]
    public void Over_Random_Sets_Joined_By_Many_Identities_Every_Version_Is_The_Whole_Lists()
    {
        var placements = new Dictionary<string, int>();
        var refused = 0;
        var joins = 0;
        var repeated = 0;
        var longPrefixes = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);

            // Names from a small alphabet, some long (a saved state's prefix is then long enough), so that own
            // names land anywhere among the shared ones and sometimes on one of them.
            var shared = new ResourceSet(Names(random, random.Next(0, 40)).Select(n => Cluster(n, onDemandOnly: random.Next(4) == 0, port: random.Next(3))));
            var owns = Enumerable.Range(0, random.Next(1, 12)).Select(_ => Names(random, random.Next(1, 6)).ToArray()).ToList();

            // Many identities join the same part, some with the same own lines as one before, and some at once.
            var cases = Enumerable.Range(0, 60).Select(_ => owns[random.Next(owns.Count)].Select(n => (Name: n, Port: random.Next(2))).ToArray()).ToArray();
            var results = new (ResourceSet? Joined, string? Refusal)[cases.Length];
            Parallel.For(0, cases.Length, i => results[i] = Join(shared, cases[i].Select(c => Cluster(c.Name, port: c.Port)).ToArray()));

            for (var i = 0; i < cases.Length; i++)
            {
                var own = cases[i].Select(c => Cluster(c.Name, port: c.Port)).ToArray();
                var whole = Whole(shared, own);
                Assert.Equal(whole.Refusal, results[i].Refusal);
                if (whole.Set is null)
                {
                    refused++;
                    continue;
                }

                var joined = results[i].Joined!;
                var where = $"seed {seed}, case {i}: {string.Join(",", own.Select(o => o.Name))} into {string.Join(",", shared.All.Select(s => s.Name))}";
                Assert.True(whole.Set.All.Select(r => (r.Name, r.Version)).SequenceEqual(joined.All.Select(r => (r.Name, r.Version))), where);
                Assert.True(whole.Set.Wildcard.Select(r => r.Name).SequenceEqual(joined.Wildcard.Select(r => r.Name)), where);
                Assert.True(Hashing.VersionOf(whole.Set.All) == joined.AllVersion, where + ": every resource's version");
                Assert.True(Hashing.VersionOf(whole.Set.Wildcard) == joined.WildcardVersion, where + ": the wildcard's version");
                joins++;
                repeated += cases.Take(i).Any(c => c.SequenceEqual(cases[i])) ? 1 : 0;
                longPrefixes += shared.All.TakeWhile(s => string.CompareOrdinal(s.Name, own.Select(o => o.Name).Min(StringComparer.Ordinal)) < 0).Sum(s => s.Name.Length + s.Version.Length + 2) > 1024 ? 1 : 0;
                foreach (var o in own)
                {
                    var before = shared.All.Count(s => string.CompareOrdinal(s.Name, o.Name) < 0);
                    var placement = before == 0 ? "first" : before == shared.All.Count ? "last" : "between";
                    placements[placement] = placements.GetValueOrDefault(placement) + 1;
                }
            }
        }

        // Each must be common, or the property says little: joins with the same own lines as one before (a version
        // remembered), after over a kilobyte of shared lines (a saved state), and own lines everywhere.
        var counts = $"{joins} joins ({repeated} repeated, {longPrefixes} after a long prefix), {refused} refused, own lines {string.Join(", ", placements.Select(p => $"{p.Key} {p.Value}"))}";
        Assert.True(joins > 10_000 && repeated > 5_000 && longPrefixes > 1_500 && refused > 10_000 && new[] { "first", "between", "last" }.All(p => placements.GetValueOrDefault(p) > 2_500), counts);
    }

    /// <summary>
    /// The saved states are native hash contexts, freed when the part is retired (the producer retires a graph's parts
    /// when a change replaces it) while identities may still be joining it: a join in flight must never find one
    /// disposed under it, no join after the retirement may save one again, and no version may change. Each round
    /// retires a part at a random point of four threads' joins (own lines at every position, most of them after over
    /// a kilobyte of shared lines) and lets each thread join it twenty more times after.
    /// </summary>
    [Fact]
    public async Task Retiring_A_Part_While_Identities_Join_It_Frees_Its_Saved_States_And_Changes_No_Version()
    {
        var freed = 0;
        var joinsAfter = 0;
        for (var round = 0; round < 40; round++)
        {
            // Shared "b-xxx…", "d-xxx…", … (each over 600 bytes); own names "a", "c", "e", … land before, between, after.
            var shared = new ResourceSet(Enumerable.Range(0, 6).Select(i => Cluster($"{(char)('b' + (2 * i))}-{new string('x', 600)}", onDemandOnly: i == 3)));
            var joined = 0;
            var retired = 0;
            var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
            {
                var random = new Random((round * 10) + worker);
                var after = 0;
                for (var i = 0; i < 100 || after < 20; i++)
                {
                    var afterRetirement = Volatile.Read(ref retired) == 1;
                    var own = Enumerable.Range(0, 7).Where(_ => random.Next(3) == 0).Select(n => Cluster(((char)('a' + (2 * n))).ToString(), port: random.Next(1000))).ToArray();
                    if (own.Length == 0)
                    {
                        continue;
                    }

                    var set = ResourceSet.Join(shared, own);
                    Assert.Equal(Hashing.VersionOf(set.All), set.AllVersion);
                    Assert.Equal(Hashing.VersionOf(set.Wildcard), set.WildcardVersion);
                    Interlocked.Increment(ref joined);
                    after += afterRetirement ? 1 : 0;
                }

                return after;
            })).ToArray();

            // Retired while the threads join: after a random number of joins, with states saved by then.
            var retireAfter = new Random(round).Next(20, 200);
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref joined) >= retireAfter, TimeSpan.FromMinutes(1)), $"round {round}: the joins stopped before {retireAfter}");
            var states = shared.SavedHashStates;
            Assert.NotEmpty(states);
            shared.RetireJoins();
            Volatile.Write(ref retired, 1);

            Assert.All(states, state => Assert.Throws<ObjectDisposedException>(() => state.Clone()));
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Empty(shared.SavedHashStates);
            freed += states.Count;
            joinsAfter += workers.Sum(w => w.Result); // finished above
        }

        Assert.True(freed >= 40 && joinsAfter >= 40 * 4 * 20, $"{freed} states freed, {joinsAfter} joins after a retirement");
    }

    [Fact]
    public void A_Part_Retired_Before_Its_First_Join_Saves_No_State_And_Versions_As_Before()
    {
        var kept = new ResourceSet([Cluster("a-" + new string('x', 1200)), Cluster("c")]);
        var retired = new ResourceSet([Cluster("a-" + new string('x', 1200)), Cluster("c")]);
        retired.PrepareJoins(); // as a shared part's sets are when packed
        retired.RetireJoins();

        var fromKept = ResourceSet.Join(kept, [Cluster("b")]);
        var fromRetired = ResourceSet.Join(retired, [Cluster("b")]);

        Assert.NotEmpty(kept.SavedHashStates);
        Assert.Empty(retired.SavedHashStates);
        Assert.Equal(Hashing.VersionOf(fromKept.All), fromRetired.AllVersion);
        Assert.Equal(fromKept.AllVersion, fromRetired.AllVersion);
    }

    private static IEnumerable<string> Names(Random random, int count) =>
        Enumerable.Range(0, count)
            .Select(_ => new string((char)('a' + random.Next(6)), 1) + (char)('a' + random.Next(6)) + (random.Next(5) == 0 ? new string('x', random.Next(100, 800)) : ""))
            .Distinct();

    private static (ResourceSet? Joined, string? Refusal) Join(ResourceSet shared, XdsResource[] own)
    {
        try
        {
            return (ResourceSet.Join(shared, own), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }

    private static (ResourceSet? Set, string? Refusal) Whole(ResourceSet shared, XdsResource[] own)
    {
        try
        {
            return (new ResourceSet([.. own, .. shared.All]), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }

    private static void AssertJoin(ResourceSet shared, string[] own, string allVersion, string wildcardVersion)
    {
        var joined = ResourceSet.Join(shared, [.. own.Select(n => Cluster(n))]);

        Assert.Equal(allVersion, joined.AllVersion);
        Assert.Equal(wildcardVersion, joined.WildcardVersion);
        Assert.Equal(Hashing.VersionOf(joined.All), joined.AllVersion);
        Assert.Equal(Hashing.VersionOf(joined.Wildcard), joined.WildcardVersion);
    }

    private static XdsResource Cluster(string name, bool onDemandOnly = false, int? port = null) =>
        XdsResource.Create(TypeUrls.Cluster, name, port is { } p ? new Cluster { Name = name, ConnectTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(p)) } : new Cluster { Name = name }, onDemandOnly);
}
