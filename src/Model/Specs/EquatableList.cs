namespace Mesh.Model.Specs;

/// <summary>Builders for <see cref="EquatableList{T}"/>; the target of collection expressions.</summary>
public static class EquatableList
{
    public static EquatableList<T> Create<T>(ReadOnlySpan<T> items) =>
        items.IsEmpty ? EquatableList<T>.Empty : EquatableList<T>.Wrap(items.ToArray());

    public static EquatableList<T> ToEquatableList<T>(this IEnumerable<T> items) =>
        EquatableList<T>.Wrap(items.ToArray());
}
