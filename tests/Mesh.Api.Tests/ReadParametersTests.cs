using System.Text.Json.Nodes;
using Mesh.Api.Resources;
using Mesh.Api.Tests.Infrastructure;
using Mesh.Model.Resources;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// A read statement's parameters (<see cref="ReadParameterSets"/>): filled position by position into a command of the
/// read source, and after a read that succeeded kept, with that command, for the next call, which fills the same
/// parameter objects and sends the same command (a new one only for another read source);
/// and Describe and List, which use them, answering each call with its own resource and page while many run at once.
/// </summary>
public sealed class ReadParametersTests(ApiServer api) : IClassFixture<ApiServer>
{
    private static readonly ReadDatabase Unconnected = new(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=none"));

    [Fact]
    public void Command_CarriesTheValuesInOrder_ValueTypesUnboxed()
    {
        var sets = new ReadParameterSets();

        var command = sets.Rent().Text("a").Text("").Value(101).Command(Unconnected, "SELECT $1, $2, $3");

        Assert.Equal("SELECT $1, $2, $3", command.CommandText);
        Assert.Equal(3, command.Parameters.Count);
        Assert.Equal("a", command.Parameters[0].Value);
        Assert.Equal("", command.Parameters[1].Value);
        Assert.Equal(101, Assert.IsType<NpgsqlParameter<int>>(command.Parameters[2]).TypedValue);
        Assert.All(command.Parameters, p => Assert.True(p.IsPositional()));
    }

    [Fact]
    public void Released_Set_IsFilledAgain_WithTheSameParameters_InTheSameCommand_AndOnlyThePositionsFilled()
    {
        var sets = new ReadParameterSets();
        var first = sets.Rent().Text("a").Text("b").Value(3).Text("mesh").Text("after");
        var firstCommand = first.Command(Unconnected, "SELECT $1, $2, $3, $4, $5");
        var firstParameters = firstCommand.Parameters.ToArray();
        first.Release();

        Assert.Equal(1, sets.IdleCount);
        var second = sets.Rent();
        Assert.Same(first, second);
        Assert.Equal(0, sets.IdleCount);

        var secondCommand = second.Text("c").Text("d").Value(4).Command(Unconnected, "SELECT $1, $2, $3");
        Assert.Same(firstCommand, secondCommand);
        Assert.Equal("SELECT $1, $2, $3", secondCommand.CommandText);
        Assert.Equal(firstParameters[..3], secondCommand.Parameters.ToArray());
        Assert.Equal(["c", "d", 4], secondCommand.Parameters.Select(p => p.Value));
        second.Release();

        // The same statement and kinds of value again: the collection already holds them, only the values are new.
        var third = sets.Rent().Text("e").Text("f").Value(5).Command(Unconnected, "SELECT $1, $2, $3");
        Assert.Same(firstCommand, third);
        Assert.Equal(firstParameters[..3], third.Parameters.ToArray());
        Assert.Equal(["e", "f", 5], third.Parameters.Select(p => p.Value));
    }

    [Fact]
    public void Set_SentToAnotherReadSource_GetsACommandOfThatSource_AndTheOldCommandGivesItsParametersUp()
    {
        var other = new ReadDatabase(NpgsqlDataSource.Create("Host=127.0.0.1;Port=2;Database=other"));
        var sets = new ReadParameterSets();
        var set = sets.Rent().Text("a").Value(1);
        var firstCommand = set.Command(Unconnected, "SELECT $1, $2");
        var parameters = firstCommand.Parameters.ToArray();
        set.Release();

        var otherCommand = sets.Rent().Text("b").Value(2).Command(other, "SELECT $1, $2");

        Assert.NotSame(firstCommand, otherCommand);
        Assert.Empty(firstCommand.Parameters);
        Assert.Equal(parameters, otherCommand.Parameters.ToArray());
        Assert.Equal(["b", 2], otherCommand.Parameters.Select(p => p.Value));
    }

    [Fact]
    public void Set_FilledWithAnotherKindOfValue_SendsANewParameterInThatPosition()
    {
        var sets = new ReadParameterSets();
        var set = sets.Rent().Text("a").Value(1);
        var command = set.Command(Unconnected, "SELECT $1, $2");
        var first = command.Parameters.ToArray();
        set.Release();

        var again = sets.Rent().Text("b").Value(2L).Command(Unconnected, "SELECT $1, $2");

        Assert.Same(command, again);
        Assert.Same(first[0], again.Parameters[0]);
        Assert.Equal(2L, Assert.IsType<NpgsqlParameter<long>>(again.Parameters[1]).TypedValue);
        Assert.Equal(2, again.Parameters.Count);
    }

    [Fact]
    public void Set_NotReleased_IsNotReused_AndASetIsSentOncePerFill()
    {
        var sets = new ReadParameterSets();
        var failed = sets.Rent().Text("a");
        _ = failed.Command(Unconnected, "SELECT $1");

        Assert.NotSame(failed, sets.Rent());
        Assert.Throws<InvalidOperationException>(() => failed.Command(Unconnected, "SELECT $1"));
        Assert.Throws<InvalidOperationException>(() => failed.Text("b"));
    }

    [Fact]
    public void Sets_Kept_AreAtMostMaxIdle()
    {
        var sets = new ReadParameterSets();
        var rented = Enumerable.Range(0, ReadParameterSets.MaxIdle + 5).Select(_ => sets.Rent()).ToList();
        foreach (var set in rented)
        {
            _ = set.Text("a").Command(Unconnected, "SELECT $1");
            set.Release();
        }

        Assert.Equal(ReadParameterSets.MaxIdle, sets.IdleCount);
    }

    [Fact]
    public async Task ManyDescribesAndPagesAtOnce_EachAnswerIsItsOwn()
    {
        var mesh = await MeshBuilder.CreateAsync(api);
        for (var i = 0; i < 12; i++)
        {
            await mesh.NodeAsync($"n{i:D2}", Specs.VirtualNode(8000 + i));
        }

        var reads = api.Services.GetRequiredService<ReadDatabase>();
        var view = api.Services.GetRequiredService<ResourceView>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 240), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var name = $"n{i % 12:D2}";
            if (i % 3 == 0)
            {
                // A page of 3 after a token: the statement with all six parameters.
                var after = $"n{i % 9:D2}";
                var page = await api.SendAsync(HttpMethod.Get, $"{Paths.VirtualNodes(mesh.Mesh)}?limit=3&nextToken={await TokenAfterAsync(mesh.Mesh, after)}");
                page.AssertOk();
                Assert.Equal(Enumerable.Range(i % 9 + 1, 3).Select(n => $"n{n:D2}"),
                    page.Body!["virtualNodes"]!.AsArray().Select(n => n!["virtualNodeName"]!.GetValue<string>()));
                return;
            }

            var id = new ResourceId(ResourceKind.VirtualNode, mesh.Mesh, "", name);
            var rendered = i % 3 == 1
                ? await DataRow.RenderAsync(view, reads, ApiServer.AccountId, id, ct)
                : null;
            var answer = await api.SendAsync(HttpMethod.Get, Paths.VirtualNode(mesh.Mesh, name));
            answer.AssertOk();
            Assert.Equal(name, answer.Body!["virtualNodeName"]!.GetValue<string>());
            Assert.Equal(8000 + i % 12, answer.Body!["spec"]!["listeners"]![0]!["portMapping"]!["port"]!.GetValue<int>());
            if (rendered is not null)
            {
                Assert.Equal(name, JsonNode.Parse(rendered)!["virtualNodeName"]!.GetValue<string>());
            }
        });
    }

    /// <summary>The token of a page of nodes that ends at <paramref name="name"/>.</summary>
    private async Task<string> TokenAfterAsync(string mesh, string name)
    {
        var nameIndex = int.Parse(name[1..], System.Globalization.CultureInfo.InvariantCulture);
        var page = await api.SendAsync(HttpMethod.Get, $"{Paths.VirtualNodes(mesh)}?limit={nameIndex + 1}");
        page.AssertOk();
        return Uri.EscapeDataString(page.Body!["nextToken"]!.GetValue<string>());
    }
}
