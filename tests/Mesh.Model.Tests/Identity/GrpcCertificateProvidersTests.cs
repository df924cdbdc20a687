using Mesh.Model.Identity;
using Mesh.Model.Specs;

namespace Mesh.Model.Tests.Identity;

public sealed class GrpcCertificateProvidersTests
{
    [Fact]
    public void A_Node_Needs_An_Instance_For_Each_Distinct_File_Certificate_And_File_Trust_It_Names()
    {
        var spec = SpecJson.Deserialize<VirtualNodeSpec>("""
            {"listeners":[
               {"portMapping":{"port":1,"protocol":"grpc"},"tls":{"mode":"STRICT","certificate":{"file":{"certificateChain":"/s.pem","privateKey":"/s.key"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}},
               {"portMapping":{"port":2,"protocol":"grpc"},"tls":{"mode":"PERMISSIVE","certificate":{"sds":{"secretName":"spiffe://td/s"}},"validation":{"trust":{"sds":{"secretName":"spiffe://td"}}}}},
               {"portMapping":{"port":3,"protocol":"http"}}],
             "backends":[
               {"virtualService":{"virtualServiceName":"a","clientPolicy":{"tls":{"certificate":{"file":{"certificateChain":"/c.pem","privateKey":"/c.key"}},"validation":{"trust":{"file":{"certificateChain":"/ca.pem"}}}}}}},
               {"virtualService":{"virtualServiceName":"b","clientPolicy":{"tls":{"validation":{"trust":{"acm":{"certificateAuthorityArns":["arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"]}}}}}}},
               {"virtualService":{"virtualServiceName":"c"}}],
             "backendDefaults":{"clientPolicy":{"tls":{"validation":{"trust":{"file":{"certificateChain":"/other-ca.pem"}}}}}}}
            """);

        var providers = GrpcCertificateProviders.For(spec);

        GrpcCertificateProvider[] expected =
        [
            new(GrpcCertificateProviders.IdentityName("/s.pem", "/s.key"), "/s.pem", "/s.key", null),
            new(GrpcCertificateProviders.IdentityName("/c.pem", "/c.key"), "/c.pem", "/c.key", null),
            new(GrpcCertificateProviders.RootsName("/ca.pem"), null, null, "/ca.pem"),
            new(GrpcCertificateProviders.RootsName("/other-ca.pem"), null, null, "/other-ca.pem"),
        ];
        Assert.Equal(expected.OrderBy(p => p.Name, StringComparer.Ordinal), providers);
        Assert.Empty(GrpcCertificateProviders.For(new VirtualNodeSpec()));
    }

    [Fact]
    public void Names_Tell_Different_Files_Apart_And_Stay_The_Same_For_The_Same_Files()
    {
        Assert.Equal(GrpcCertificateProviders.IdentityName("/a", "/b"), GrpcCertificateProviders.IdentityName("/a", "/b"));
        Assert.NotEqual(GrpcCertificateProviders.IdentityName("/a,", "/b"), GrpcCertificateProviders.IdentityName("/a", ",/b"));
        Assert.NotEqual(GrpcCertificateProviders.IdentityName("/a", "/b"), GrpcCertificateProviders.IdentityName("/b", "/a"));
        Assert.NotEqual(GrpcCertificateProviders.RootsName("/a"), GrpcCertificateProviders.RootsName("/b"));
        Assert.Matches("^mesh-identity-[0-9a-f]{16}$", GrpcCertificateProviders.IdentityName("/a", "/b"));
        Assert.Matches("^mesh-roots-[0-9a-f]{16}$", GrpcCertificateProviders.RootsName("/a"));
    }
}
