namespace Mesh.Model.Wire;

/// <summary>A member of a structure shape.</summary>
public sealed record Member(
    string Name,
    string ShapeName,
    MemberLocation Location,
    string LocationName,
    bool IsIdempotencyToken);
