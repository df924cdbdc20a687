namespace Mesh.Api.Commands;

/// <summary>Writes a profile into an AWS shared-credentials file (INI), replacing that profile if present.</summary>
public static class CredentialsFile
{
    public static async Task WriteProfileAsync(string path, string profile, string accessKeyId, string secret)
    {
        var lines = File.Exists(path) ? (await File.ReadAllLinesAsync(path)).ToList() : [];
        var start = lines.FindIndex(l => l.Trim() == $"[{profile}]");
        if (start >= 0)
        {
            var end = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith('['));
            lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
        }

        lines.AddRange([$"[{profile}]", $"aws_access_key_id = {accessKeyId}", $"aws_secret_access_key = {secret}", ""]);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllLinesAsync(path, lines);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
