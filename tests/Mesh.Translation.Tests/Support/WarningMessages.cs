using Mesh.Translation;

namespace Mesh.Translation.Tests;

/// <summary>The text of translation warnings, for tests that assert what a warning says rather than its kind.</summary>
internal static class WarningMessages
{
    public static IReadOnlyList<string> Messages(this IEnumerable<TranslationWarning> warnings) => [.. warnings.Select(w => w.Message)];
}
