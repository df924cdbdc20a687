namespace Mesh.Security;

public enum SetupStatus
{
    Ready,
    Unreachable,
    Misconfigured,
}
