// Command sdkv1 drives Mesh through the AWS SDK for Go v1, the SDK the App Mesh controller for Kubernetes is built
// on, the way the controller reconciles: describe, create when NotFoundException, describe again and compare the spec
// it wants with the spec read back (any difference would make it update on every reconcile), check the resource
// owner, page through routes, and delete. It prints what it observed as one JSON object for
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
