namespace Mesh.Security;

/// <summary>
/// The outcome of <see cref="DatabaseSetup.CheckAsync"/>. An unreachable database may come back by itself; a
/// misconfigured one needs the operator, so start-up refuses it.
/// </summary>
public sealed record SetupState(SetupStatus Status, string Message)
{
    public static readonly SetupState Ready = new(SetupStatus.Ready, "");

    public static SetupState Unreachable(string message) => new(SetupStatus.Unreachable, message);

    public static SetupState Misconfigured(string message) => new(SetupStatus.Misconfigured, message);
}
