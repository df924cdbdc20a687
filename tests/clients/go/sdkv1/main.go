// Command sdkv1 drives Mesh through the AWS SDK for Go v1, the SDK the App Mesh controller for Kubernetes is built
// on, the way the controller reconciles: describe, create when NotFoundException, describe again and compare the spec
// it wants with the spec read back (any difference would make it update on every reconcile), check the resource
// owner, page through routes, and delete; and its Cloud Map instance reconcile for a pod. It prints what it observed as one JSON object for
// tests/Mesh.Api.Tests/Sdk/GoSdkTests.cs, and exits 1 (naming the step) on any error it did not expect.
//
// Usage: go run . <endpoint-url> <mesh-name>, with GO111MODULE=off and GOPATH=/usr/share/gocode (Debian's packaged
// SDK, golang-github-aws-aws-sdk-go-dev), credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/appmesh"
	"github.com/aws/aws-sdk-go/service/servicediscovery"
	"github.com/aws/aws-sdk-go/service/sts"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkv1 <endpoint-url> <mesh-name>")
		os.Exit(2)
	}

	sess, err := session.NewSession(&aws.Config{Endpoint: aws.String(os.Args[1]), Region: aws.String("us-east-1"), MaxRetries: aws.Int(0)})
	check("session", err)
	client := appmesh.New(sess)
	mesh := aws.String(os.Args[2])
	observed := map[string]any{}

	identity, err := sts.New(sess).GetCallerIdentity(&sts.GetCallerIdentityInput{})
	check("sts GetCallerIdentity", err)
	account := aws.StringValue(identity.Account)

	// The Mesh custom resource: describe, NotFound, create (no tags, no client token: the SDK fills one in).
	_, err = client.DescribeMesh(&appmesh.DescribeMeshInput{MeshName: mesh, MeshOwner: aws.String(account)})
	observed["meshFirstDescribe"] = code(err)
	meshSpec := &appmesh.MeshSpec{EgressFilter: &appmesh.EgressFilter{Type: aws.String(appmesh.EgressFilterTypeDropAll)}}
	createdMesh, err := client.CreateMesh(&appmesh.CreateMeshInput{MeshName: mesh, Spec: meshSpec})
	check("CreateMesh", err)
	observed["meshActive"] = aws.StringValue(createdMesh.Mesh.Status.Status) == appmesh.MeshStatusCodeActive
	observed["meshSpecEqual"] = same("mesh", meshSpec, createdMesh.Mesh.Spec)

	// The VirtualNode custom resource, as the controller converts one: Cloud Map discovery with attributes, a listener
	// with a health check, backend defaults with an enforced ACM trust, a backend without a policy, file logging.
	nodeSpec := &appmesh.VirtualNodeSpec{
		ServiceDiscovery: &appmesh.ServiceDiscovery{AwsCloudMap: &appmesh.AwsCloudMapServiceDiscovery{
			NamespaceName: aws.String("shop.local"), ServiceName: aws.String("orders"),
			Attributes: []*appmesh.AwsCloudMapInstanceAttribute{{Key: aws.String("version"), Value: aws.String("v1")}},
		}},
		Listeners: []*appmesh.Listener{{
			PortMapping: &appmesh.PortMapping{Port: aws.Int64(8080), Protocol: aws.String(appmesh.PortProtocolHttp)},
			HealthCheck: &appmesh.HealthCheckPolicy{
				Protocol: aws.String(appmesh.PortProtocolHttp), Path: aws.String("/health"), HealthyThreshold: aws.Int64(2),
				UnhealthyThreshold: aws.Int64(2), IntervalMillis: aws.Int64(5000), TimeoutMillis: aws.Int64(2000),
			},
			ConnectionPool: &appmesh.VirtualNodeConnectionPool{Http: &appmesh.VirtualNodeHttpConnectionPool{MaxConnections: aws.Int64(100), MaxPendingRequests: aws.Int64(50)}},
		}},
		BackendDefaults: &appmesh.BackendDefaults{ClientPolicy: &appmesh.ClientPolicy{Tls: &appmesh.ClientPolicyTls{
			Enforce: aws.Bool(true),
			Validation: &appmesh.TlsValidationContext{Trust: &appmesh.TlsValidationContextTrust{Acm: &appmesh.TlsValidationContextAcmTrust{
				CertificateAuthorityArns: []*string{aws.String("arn:aws:acm-pca:us-east-1:" + account + ":certificate-authority/0a1b2c3d")},
			}}},
		}}},
		Backends: []*appmesh.Backend{{VirtualService: &appmesh.VirtualServiceBackend{VirtualServiceName: aws.String("payments.shop.local")}}},
		Logging:  &appmesh.Logging{AccessLog: &appmesh.AccessLog{File: &appmesh.FileAccessLog{Path: aws.String("/dev/stdout")}}},
	}
	_, err = client.DescribeVirtualNode(&appmesh.DescribeVirtualNodeInput{MeshName: mesh, VirtualNodeName: aws.String("orders"), MeshOwner: aws.String(account)})
	observed["nodeFirstDescribe"] = code(err)
	_, err = client.CreateVirtualNode(&appmesh.CreateVirtualNodeInput{MeshName: mesh, VirtualNodeName: aws.String("orders"), Spec: nodeSpec, MeshOwner: aws.String(account)})
	check("CreateVirtualNode", err)
	node, err := client.DescribeVirtualNode(&appmesh.DescribeVirtualNodeInput{MeshName: mesh, VirtualNodeName: aws.String("orders"), MeshOwner: aws.String(account)})
	check("DescribeVirtualNode", err)
	observed["nodeSpecEqual"] = same("virtual node", nodeSpec, node.VirtualNode.Spec)
	observed["nodeOwnedByCaller"] = aws.StringValue(node.VirtualNode.Metadata.ResourceOwner) == account

	// A VirtualRouter with more routes than one page holds, listed as the controller lists them.
	_, err = client.CreateVirtualRouter(&appmesh.CreateVirtualRouterInput{MeshName: mesh, VirtualRouterName: aws.String("router"), Spec: &appmesh.VirtualRouterSpec{
		Listeners: []*appmesh.VirtualRouterListener{{PortMapping: &appmesh.PortMapping{Port: aws.Int64(8080), Protocol: aws.String(appmesh.PortProtocolHttp)}}},
	}})
	check("CreateVirtualRouter", err)
	routes := []string{"r1", "r2", "r3"}
	for i, name := range routes {
		spec := &appmesh.RouteSpec{Priority: aws.Int64(int64(i)), HttpRoute: &appmesh.HttpRoute{
			Match:  &appmesh.HttpRouteMatch{Prefix: aws.String("/" + name)},
			Action: &appmesh.HttpRouteAction{WeightedTargets: []*appmesh.WeightedTarget{{VirtualNode: aws.String("orders"), Weight: aws.Int64(1)}}},
		}}
		created, err := client.CreateRoute(&appmesh.CreateRouteInput{MeshName: mesh, VirtualRouterName: aws.String("router"), RouteName: aws.String(name), Spec: spec})
		check("CreateRoute "+name, err)
		observed["routeSpecEqual_"+name] = same("route "+name, spec, created.Route.Spec)
	}

	listed, pages := []string{}, 0
	err = client.ListRoutesPages(&appmesh.ListRoutesInput{MeshName: mesh, VirtualRouterName: aws.String("router"), Limit: aws.Int64(2)},
		func(page *appmesh.ListRoutesOutput, last bool) bool {
			pages++
			for _, ref := range page.Routes {
				listed = append(listed, aws.StringValue(ref.RouteName))
			}

			return true
		})
	check("ListRoutesPages", err)
	observed["listedRoutes"] = listed
	observed["routePages"] = pages

	// Deleting the router while its routes exist is ResourceInUse, which the controller requeues on.
	_, err = client.DeleteVirtualRouter(&appmesh.DeleteVirtualRouterInput{MeshName: mesh, VirtualRouterName: aws.String("router")})
	observed["routerWithRoutesDelete"] = code(err)
	for _, name := range routes {
		_, err = client.DeleteRoute(&appmesh.DeleteRouteInput{MeshName: mesh, VirtualRouterName: aws.String("router"), RouteName: aws.String(name)})
		check("DeleteRoute "+name, err)
	}

	_, err = client.DeleteVirtualRouter(&appmesh.DeleteVirtualRouterInput{MeshName: mesh, VirtualRouterName: aws.String("router")})
	check("DeleteVirtualRouter", err)
	_, err = client.DeleteVirtualNode(&appmesh.DeleteVirtualNodeInput{MeshName: mesh, VirtualNodeName: aws.String("orders"), MeshOwner: aws.String(account)})
	check("DeleteVirtualNode", err)
	_, err = client.DescribeVirtualNode(&appmesh.DescribeVirtualNodeInput{MeshName: mesh, VirtualNodeName: aws.String("orders"), MeshOwner: aws.String(account)})
	observed["nodeAfterDelete"] = code(err)
	_, err = client.DeleteMesh(&appmesh.DeleteMeshInput{MeshName: mesh})
	check("DeleteMesh", err)

	cloudMap(sess, aws.StringValue(mesh)+".local", observed)
	check("print", json.NewEncoder(os.Stdout).Encode(observed))
}

// code is the error code the controller switches on (awserr.Error's Code), or "" for none.
func code(err error) string {
	if err == nil {
		return ""
	}

	if aerr, ok := err.(awserr.Error); ok {
		return aerr.Code()
	}

	return "not an awserr.Error: " + err.Error()
}

// cloudMap is the controller's instance reconcile for a virtual node discovered through Cloud Map: find the namespace
// and the service by name, create the service when missing (custom health checks), register a pod with its
// attributes, mark it healthy, list and discover it, deregister it. DiscoverInstances goes to a "data-" host in AWS;
// against a custom endpoint the SDK is told not to add it, as docs/cloud-map.md tells users.
func cloudMap(sess *session.Session, namespace string, observed map[string]any) {
	client := servicediscovery.New(sess, &aws.Config{DisableEndpointHostPrefix: aws.Bool(true)})
	op, err := client.CreatePrivateDnsNamespace(&servicediscovery.CreatePrivateDnsNamespaceInput{Name: aws.String(namespace), Vpc: aws.String("vpc-0abc")})
	check("CreatePrivateDnsNamespace", err)
	done, err := client.GetOperation(&servicediscovery.GetOperationInput{OperationId: op.OperationId})
	check("GetOperation", err)
	observed["namespaceOperation"] = aws.StringValue(done.Operation.Status)

	var namespaceID string
	err = client.ListNamespacesPages(&servicediscovery.ListNamespacesInput{}, func(page *servicediscovery.ListNamespacesOutput, last bool) bool {
		for _, ns := range page.Namespaces {
			if aws.StringValue(ns.Name) == namespace {
				namespaceID = aws.StringValue(ns.Id)
				observed["namespaceType"] = aws.StringValue(ns.Type)
			}
		}

		return true
	})
	check("ListNamespacesPages", err)

	found := false
	filter := []*servicediscovery.ServiceFilter{{Name: aws.String("NAMESPACE_ID"), Values: []*string{aws.String(namespaceID)}, Condition: aws.String("EQ")}}
	err = client.ListServicesPages(&servicediscovery.ListServicesInput{Filters: filter}, func(page *servicediscovery.ListServicesOutput, last bool) bool {
		for _, svc := range page.Services {
			found = found || aws.StringValue(svc.Name) == "orders"
		}

		return true
	})
	check("ListServicesPages", err)
	observed["serviceFoundBeforeCreate"] = found
	created, err := client.CreateService(&servicediscovery.CreateServiceInput{
		Name: aws.String("orders"), NamespaceId: aws.String(namespaceID), CreatorRequestId: aws.String("orders-" + namespaceID),
		DnsConfig: &servicediscovery.DnsConfig{
			RoutingPolicy: aws.String(servicediscovery.RoutingPolicyMultivalue),
			DnsRecords:    []*servicediscovery.DnsRecord{{Type: aws.String(servicediscovery.RecordTypeA), TTL: aws.Int64(300)}},
		},
		HealthCheckCustomConfig: &servicediscovery.HealthCheckCustomConfig{FailureThreshold: aws.Int64(1)},
	})
	check("CreateService", err)
	serviceID := created.Service.Id

	_, err = client.RegisterInstance(&servicediscovery.RegisterInstanceInput{
		ServiceId: serviceID, InstanceId: aws.String("10.1.2.3"), CreatorRequestId: aws.String("pod-uid-" + namespace),
		Attributes: map[string]*string{
			"AWS_INSTANCE_IPV4": aws.String("10.1.2.3"), "AWS_INIT_HEALTH_STATUS": aws.String("UNHEALTHY"),
			"k8s.io/pod": aws.String("orders-5d9f"), "k8s.io/namespace": aws.String("shop"), "version": aws.String("v1"),
		},
	})
	check("RegisterInstance", err)
	discover := func() int {
		out, err := client.DiscoverInstances(&servicediscovery.DiscoverInstancesInput{
			NamespaceName: aws.String(namespace), ServiceName: aws.String("orders"), QueryParameters: map[string]*string{"version": aws.String("v1")},
		})
		check("DiscoverInstances", err)
		return len(out.Instances)
	}

	observed["discoveredBeforeHealthy"] = discover()
	_, err = client.UpdateInstanceCustomHealthStatus(&servicediscovery.UpdateInstanceCustomHealthStatusInput{
		ServiceId: serviceID, InstanceId: aws.String("10.1.2.3"), Status: aws.String(servicediscovery.CustomHealthStatusHealthy),
	})
	check("UpdateInstanceCustomHealthStatus", err)
	observed["discoveredWhenHealthy"] = discover()

	listed := []string{}
	err = client.ListInstancesPages(&servicediscovery.ListInstancesInput{ServiceId: serviceID}, func(page *servicediscovery.ListInstancesOutput, last bool) bool {
		for _, instance := range page.Instances {
			listed = append(listed, aws.StringValue(instance.Id)+"="+aws.StringValue(instance.Attributes["k8s.io/pod"]))
		}

		return true
	})
	check("ListInstancesPages", err)
	observed["listedInstances"] = listed

	_, err = client.DeregisterInstance(&servicediscovery.DeregisterInstanceInput{ServiceId: serviceID, InstanceId: aws.String("10.1.2.3")})
	check("DeregisterInstance", err)
	_, err = client.DeregisterInstance(&servicediscovery.DeregisterInstanceInput{ServiceId: serviceID, InstanceId: aws.String("10.1.2.3")})
	observed["deregisterAgain"] = code(err)
}

// same says whether the spec read back equals the one sent, as a controller comparing them would; when not, both go
// to stderr.
func same(what string, sent, read any) bool {
	if reflect.DeepEqual(sent, read) {
		return true
	}

	s, _ := json.Marshal(sent)
	r, _ := json.Marshal(read)
	fmt.Fprintf(os.Stderr, "%s differs:\n sent %s\n read %s\n", what, s, r)
	return false
}

func check(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
		os.Exit(1)
	}
}
