using System.Reflection;

namespace Mesh.Bootstrap.Tests.Support;

public static class Repository
{
    public static string Root { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary><c>MESH_UPDATE_GOLDEN=1</c> rewrites golden files instead of comparing.</summary>
    public static bool UpdateGolden => Environment.GetEnvironmentVariable("MESH_UPDATE_GOLDEN") == "1";

    public static void AssertGolden(string relativePath, string actual)
    {
        var path = PathOf(relativePath);
        if (UpdateGolden)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"{relativePath} is missing; run the tests with MESH_UPDATE_GOLDEN=1 to write it, then review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
