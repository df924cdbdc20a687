using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;

namespace Mesh.Model.Specs;

/// <summary>
/// An immutable list with value equality, so that records holding lists compare by content
/// (a plain <see cref="IReadOnlyList{T}"/> member would compare by reference).
/// Serialises as a JSON array; build it with a collection expression: <c>Listeners = [listener]</c>.
/// </summary>
[CollectionBuilder(typeof(EquatableList), nameof(EquatableList.Create))]
[JsonConverter(typeof(EquatableListJsonConverterFactory))]
public sealed class EquatableList<T> : IReadOnlyList<T>, IEquatable<EquatableList<T>>
{
    private readonly T[] _items;

    public EquatableList(IEnumerable<T> items) => _items = items.ToArray();

    private EquatableList(T[] items) => _items = items;

    public static EquatableList<T> Empty { get; } = new([]);

    internal static EquatableList<T> Wrap(T[] items) => new(items);

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(EquatableList<T>? other) =>
        other is not null && (ReferenceEquals(this, other) || _items.AsSpan().SequenceEqual(other._items, EqualityComparer<T>.Default));

    public override bool Equals(object? obj) => Equals(obj as EquatableList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _items) + "]";

    public static bool operator ==(EquatableList<T>? left, EquatableList<T>? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(EquatableList<T>? left, EquatableList<T>? right) => !(left == right);
}
