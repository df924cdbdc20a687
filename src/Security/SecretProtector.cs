using System.Security.Cryptography;
using System.Text;

namespace Mesh.Security;

/// <summary>
/// Encrypts access-key secrets with AES-256-GCM under the master key. The access key id is bound in as
/// associated data, so a ciphertext copied onto another key's row does not decrypt.
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] masterKey;

    public SecretProtector(string base64MasterKey)
    {
        masterKey = Decode(base64MasterKey) ?? throw new InvalidOperationException(FormatProblem(base64MasterKey));
    }

    /// <summary>
    /// Why <paramref name="base64MasterKey"/> cannot be a master key, as one line that names the setting and the fix;
    /// null when it can. The hosts check it at start so that a bad key stops them with this line, not a stack trace.
    /// </summary>
    public static string? FormatProblem(string base64MasterKey)
    {
        if (Decode(base64MasterKey) is not null)
        {
            return null;
        }

        var what = TryBase64(base64MasterKey) is { } bytes ? $"it decodes to {bytes.Length} bytes" : "it is not base64";
        return $"Mesh:Auth:MasterKey must be base64 of 32 random bytes, but {what}. "
            + "Set the key the access keys were created with (./run.sh keeps it in .mesh/master.key), "
            + "or make a new one for a new database with: head -c 32 /dev/urandom | base64";
    }

    private static byte[]? Decode(string base64MasterKey) => TryBase64(base64MasterKey) is { Length: 32 } key ? key : null;

    private static byte[]? TryBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string NewMasterKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public byte[] Protect(string accessKeyId, string secret)
    {
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(masterKey, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(accessKeyId));
        return output;
    }

    public string Unprotect(string accessKeyId, byte[] protectedSecret)
    {
        var plaintext = new byte[protectedSecret.Length - NonceSize - TagSize];
        using var aes = new AesGcm(masterKey, TagSize);
        aes.Decrypt(
            protectedSecret.AsSpan(0, NonceSize),
            protectedSecret.AsSpan(NonceSize + TagSize),
            protectedSecret.AsSpan(NonceSize, TagSize),
            plaintext,
            Encoding.UTF8.GetBytes(accessKeyId));
        return Encoding.UTF8.GetString(plaintext);
    }
}
