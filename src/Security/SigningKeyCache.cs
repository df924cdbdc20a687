using System.Collections.Concurrent;

namespace Mesh.Security;

/// <summary>
/// SigV4 signing keys (four chained HMACs of the secret, the date, the region and the service) derived once per
/// secret and date instead of on every request. Keyed by the secret itself, so a rotated secret never reuses a
/// key derived from the old one; whether a key may still be used at all is decided before this (the key store).
/// </summary>
public sealed class SigningKeyCache(string region, string service, int capacity = SigningKeyCache.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly ConcurrentDictionary<(string Secret, string Date), byte[]> keys = new();

    /// <summary>The region every key is derived for.</summary>
    public string Region => region;

    /// <summary>The service every key is derived for.</summary>
    public string Service => service;

    /// <summary>How many keys are held (at most the capacity).</summary>
    public int Count => keys.Count;

    /// <summary>The signing key of <paramref name="secret"/> on <paramref name="date"/> (yyyyMMdd); the returned array must not be changed.</summary>
    public byte[] For(string secret, string date)
    {
        if (keys.TryGetValue((secret, date), out var key))
        {
            return key;
        }

        key = SigV4.SigningKey(secret, date, region, service);
        if (keys.Count >= capacity)
        {
            // Yesterday's keys, or more keys than expected: starting over is cheaper than tracking age.
            keys.Clear();
        }

        keys[(secret, date)] = key;
        return key;
    }
}
