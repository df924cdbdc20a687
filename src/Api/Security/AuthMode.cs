using Mesh.Security;

namespace Mesh.Api.Security;

public enum AuthMode
{
    SigV4,
    None,
}
