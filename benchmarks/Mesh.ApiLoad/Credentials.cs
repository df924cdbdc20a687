namespace Mesh.ApiLoad;

/// <summary>An access key from an AWS shared-credentials file, such as the one ./run.sh writes to .mesh/credentials.</summary>
internal sealed record Credentials(string AccessKeyId, string SecretAccessKey)
{
    public static Credentials Read(string path, string profile)
    {
        string? section = null, id = null, secret = null;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1].Trim();
            }
            else if (section == profile && line.Split('=', 2) is [var key, var value])
            {
                switch (key.Trim())
                {
                    case "aws_access_key_id": id = value.Trim(); break;
                    case "aws_secret_access_key": secret = value.Trim(); break;
                }
            }
        }

        return id is not null && secret is not null
            ? new Credentials(id, secret)
            : throw new InvalidOperationException($"Profile [{profile}] in {path} has no aws_access_key_id and aws_secret_access_key.");
    }
}
