using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsServer.Hosting;

/// <summary>
/// Start-up validation for settings whose rules relate several values (a grace period longer than a renew interval)
/// and so do not fit an attribute: the options type says what is wrong in one sentence naming the settings, or null.
/// </summary>
public static class OptionsProblems
{
    public static OptionsBuilder<T> ValidateWith<T>(this OptionsBuilder<T> builder, Func<T, string?> problem)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new Check<T>(builder.Name, problem));
        return builder;
    }

    private sealed class Check<T>(string? name, Func<T, string?> problem) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }

            return problem(options) is { } why ? ValidateOptionsResult.Fail(why) : ValidateOptionsResult.Success;
        }
    }
}
