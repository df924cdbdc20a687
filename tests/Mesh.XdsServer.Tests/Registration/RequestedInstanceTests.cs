using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.XdsServer.Registration;

namespace Mesh.XdsServer.Tests.Registration;

/// <summary>How the xDS server reads <c>mesh.registration</c> from the node metadata the bootstrap writes.</summary>
public sealed class RequestedInstanceTests
{
    private static Node NodeWith(params (string Key, Value Value)[] fields)
    {
        var registration = new Struct();
        foreach (var (key, value) in fields)
        {
            registration.Fields[key] = value;
        }

        return new Node { Id = "mesh/demo/virtualNode/web", Metadata = new Struct { Fields = { [RequestedInstance.MetadataKey] = Value.ForStruct(registration) } } };
    }

    [Fact]
    public void NoMetadata_AsksForNothing()
    {
        Assert.Null(RequestedInstance.FromNode(new Node { Id = "mesh/demo/virtualNode/web" }, out var error));
        Assert.Null(error);
    }

    [Fact]
    public void AddressAndPort_MakeTheDefaultInstanceId_AndTheAddressAttributes()
    {
        var instance = RequestedInstance.FromNode(NodeWith(("address", Value.ForString("10.0.3.7")), ("port", Value.ForNumber(8080))), out var error)!;
        Assert.Null(error);
        Assert.Equal("10.0.3.7_8080", instance.InstanceId);
        Assert.Equal(
            [new("AWS_INSTANCE_IPV4", "10.0.3.7"), new("AWS_INSTANCE_PORT", "8080")],
            instance.AddressAttributes().ToList());
    }

    [Fact]
    public void Ipv6_WithAnInstanceId_IsAnIpv6Instance()
    {
        var instance = RequestedInstance.FromNode(NodeWith(("address", Value.ForString("fd00::7")), ("instanceId", Value.ForString("web-1"))), out _)!;
        Assert.Equal("web-1", instance.InstanceId);
        Assert.Equal([new("AWS_INSTANCE_IPV6", "fd00::7")], instance.AddressAttributes().ToList());
    }

    [Theory]
    [InlineData("web.local", 8080, "address must be an IPv4 or IPv6 address")]
    [InlineData("10.0.3.7", 70000, "port must be a port from 1 to 65535")]
    [InlineData("010.0.3.7", 8080, "address must be an IPv4 or IPv6 address")]
    [InlineData("fe80::7%lo", 8080, "address must be an IPv4 or IPv6 address")]
    public void BadMetadata_SaysWhy(string address, double port, string expected)
    {
        Assert.Null(RequestedInstance.FromNode(NodeWith(("address", Value.ForString(address)), ("port", Value.ForNumber(port))), out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("web 1<x>!")]
    [InlineData("web-1\n")]
    public void AnInstanceIdCloudMapWouldRefuse_IsRefused(string instanceId)
    {
        Assert.Null(RequestedInstance.FromNode(NodeWith(("address", Value.ForString("10.0.3.7")), ("instanceId", Value.ForString(instanceId))), out var error));
        Assert.Contains("instanceId must have 1 to 64 characters matching", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:10", "00:00:10")]
    [InlineData("00:00:05", "00:00:10")]
    [InlineData("00:00:30", "00:00:00")]
    public void GracePeriod_MustOutlastTheRenewInterval(string grace, string renew) =>
        Assert.NotNull(new RegistrationOptions { GracePeriod = TimeSpan.Parse(grace), RenewInterval = TimeSpan.Parse(renew) }.Problem());

    [Fact]
    public void DefaultOptions_Work() => Assert.Null(new RegistrationOptions().Problem());
}
