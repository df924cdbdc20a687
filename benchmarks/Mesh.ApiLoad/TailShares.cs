namespace Mesh.ApiLoad;

/// <summary>
/// The shares of a cell's calls that took more than 5 ms and more than 10 ms, as the load client timed them (from
/// before the request's send to the answer's last byte) and as the API's HTTP server timed them (its
/// <c>http.server.request.duration</c> histogram, from Kestrel's start of the request to its end; 5 and 10 ms are two
/// of its bucket bounds). A tail the client sees and the API's own timing does not formed outside the request's
/// handling: in the client, in the kernel's queues, or in Kestrel before the request started (issue14aq).
/// </summary>
internal readonly record struct TailShares(double ClientOver5Ms, double ClientOver10Ms, double ApiOver5Ms, double ApiOver10Ms)
{
    public static TailShares Unread => new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>The share of <paramref name="all"/> calls not among the <paramref name="within"/> that were fast enough (NaN: none counted).</summary>
    public static double Over(double all, double within) => all > 0 ? (all - within) / all : double.NaN;
}
