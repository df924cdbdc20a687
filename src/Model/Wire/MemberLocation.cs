namespace Mesh.Model.Wire;

/// <summary>Where a request member travels: the JSON body, a URI label or a query-string parameter.</summary>
public enum MemberLocation
{
    Body,
    Uri,
    QueryString,
}
