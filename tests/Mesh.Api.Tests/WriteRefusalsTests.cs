using Mesh.Api.Resources;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Mesh.Api.Tests;

/// <summary>
/// The facts the API words its errors from, read from a write function's refusal: after the description PostgreSQL's
/// log shows (migration DescribedWriteRefusals), or the whole message of a schema before it. The messages are the
/// functions' own (<c>MigrationTests.DescribedWriteRefusals_…</c> holds the functions to them).
/// </summary>
public sealed class WriteRefusalsTests
{
    public static TheoryData<string, string, string> Refusals => new()
    {
        { WriteRefusals.Missing, "mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): 3", "3" },
        { WriteRefusals.RoutePort, "mesh write refused (answered BadRequestException by the API), the route match port is missing or not among the listener ports of its router: 8080, 9090", "8080, 9090" },
        // The facts hold ": " themselves: the description ends at the first.
        { WriteRefusals.InUse, """mesh delete refused (answered ResourceInUseException by the API), the resource is still in use (the check that found users, then the first of them): contents [["virtualNode", "", "a: b", 1]]""", """contents [["virtualNode", "", "a: b", 1]]""" },
        { WriteRefusals.TokenReused, "mesh write refused (answered ConflictException by the API), the clientToken was already used for a request of another operation: CreateMesh", "CreateMesh" },
        { WriteRefusals.TokenChangedHands, "mesh write refused (answered ServiceUnavailableException by the API, to be retried): clientToken changed hands", "clientToken changed hands" },
        // A schema before the migration: the message is the facts.
        { WriteRefusals.Missing, "3", "3" },
        { WriteRefusals.RoutePort, "8080, 9090", "8080, 9090" },
        { WriteRefusals.InUse, """contents [["virtualNode", "", "mesh: b", 1]]""", """contents [["virtualNode", "", "mesh: b", 1]]""" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_Refusal_Gives_The_Facts_After_Its_Description(string state, string message, string facts)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", state);

        Assert.Equal(facts, WriteRefusals.Facts(error, state));
        // As EF Core and the write path wrap it.
        Assert.Equal(facts, WriteRefusals.Facts(new DbUpdateException("saving", error), state));
    }

    [Fact]
    public void Another_State_Gives_No_Facts()
    {
        var error = new PostgresException("mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): 3",
            "ERROR", "ERROR", WriteRefusals.Missing);

        Assert.Null(WriteRefusals.Facts(error, WriteRefusals.RoutePort));
        Assert.Null(WriteRefusals.Facts(new InvalidOperationException("3"), WriteRefusals.Missing));
    }
}
