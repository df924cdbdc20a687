namespace Mesh.Migrations;

internal static class Arguments
{
    /// <summary>The value of <c>--name value</c> or <c>--name=value</c>, or null when absent.</summary>
    public static string? Value(string[] args, string name)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }
}
