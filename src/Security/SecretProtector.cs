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
        try
        {
            masterKey = Convert.FromBase64String(base64MasterKey);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Mesh:Auth:MasterKey must be base64 of 32 bytes.");
        }

        if (masterKey.Length != 32)
        {
            throw new InvalidOperationException($"Mesh:Auth:MasterKey must be base64 of 32 bytes, not {masterKey.Length}.");
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
