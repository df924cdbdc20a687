using Mesh.Api.Tests.Infrastructure;

namespace Mesh.Api.Tests.Sdk;

/// <summary>The access key the SDK drivers sign with.</summary>
public static class SdkCredentials
{
    public static (string AccessKeyId, string SecretAccessKey) For(ApiServer api) => (api.AdminKey.AccessKeyId, api.AdminKey.SecretAccessKey);
}
