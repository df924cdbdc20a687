// Command sdkv2 drives Mesh through the AWS SDK for Go v2, the SDK Terraform's AWS provider is built on, in the order
// and with the inputs the provider uses for aws_appmesh_* resources: STS GetCallerIdentity for the account, a mesh
// created with an empty spec and tags and read back with its owner, a gateway route that matches only a hostname, a
// virtual node and a route whose specs carry the SDK's union types, paging, untag-then-tag, and the modeled errors the
// provider tests for; then a Cloud Map namespace and service as aws_service_discovery_* resources drive them. It prints what it observed as one JSON object for tests/Mesh.Api.Tests/Sdk/GoSdkTests.cs, and
// exits 1 (naming the step) on any error it did not expect.
//
// Usage: go run . <endpoint-url> <mesh-name>, with GO111MODULE=off and GOPATH=/usr/share/gocode (Debian's packaged
// SDK, golang-github-aws-aws-sdk-go-v2-dev), credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/appmesh"
	"github.com/aws/aws-sdk-go-v2/service/appmesh/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type run struct {
	ctx      context.Context
	mesh     *string
	client   *appmesh.Client
	observed map[string]any
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkv2 <endpoint-url> <mesh-name>")
		os.Exit(2)
	}

	endpoint := os.Args[1]
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		// One attempt: a throttle or 5xx must show as what it is, not be retried away.
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	check("load config", err)

	r := &run{
		ctx:      ctx,
		mesh:     aws.String(os.Args[2]),
		client:   appmesh.NewFromConfig(cfg, func(o *appmesh.Options) { o.EndpointResolver = appmesh.EndpointResolverFromURL(endpoint) }),
		observed: map[string]any{},
	}
	identity, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.EndpointResolver = sts.EndpointResolverFromURL(endpoint) }).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	check("sts GetCallerIdentity", err)
	account := aws.ToString(identity.Account)
	r.observed["account"] = account
	r.observed["callerArn"] = aws.ToString(identity.Arn)

	r.mesh_(account)
	r.gatewayRoute()
	r.nodeAndRoute()
	r.paging()
	r.errors()
	r.teardown()
	r.cloudMap(servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		o.EndpointResolver = servicediscovery.EndpointResolverFromURL(endpoint)
	}))

	check("print", json.NewEncoder(os.Stdout).Encode(r.observed))
}

// cloudMap is aws_service_discovery_private_dns_namespace and aws_service_discovery_service through their life: the
// namespace created and awaited through its operation, read with its hosted zone and tags, a service with custom
// health checks created, updated (a change is an operation too), and both deleted; then NotFound for each.
func (r *run) cloudMap(client *servicediscovery.Client) {
	name := aws.ToString(r.mesh) + ".local"
	created, err := client.CreatePrivateDnsNamespace(r.ctx, &servicediscovery.CreatePrivateDnsNamespaceInput{
		Name: aws.String(name), Vpc: aws.String("vpc-0abc"), Tags: []sdtypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}},
	})
	check("CreatePrivateDnsNamespace", err)
	namespaceID := r.operationTarget(client, created.OperationId, sdtypes.OperationTargetTypeNamespace)
	namespace, err := client.GetNamespace(r.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(namespaceID)})
	check("GetNamespace", err)
	r.observed["namespaceName"] = aws.ToString(namespace.Namespace.Name)
	r.observed["namespaceType"] = string(namespace.Namespace.Type)
	// The provider reads hosted_zone from here; Mesh makes no Route 53 zone, so the ID is empty (docs/cloud-map.md).
	r.observed["namespaceHasDnsProperties"] = namespace.Namespace.Properties != nil && namespace.Namespace.Properties.DnsProperties != nil
	tags, err := client.ListTagsForResource(r.ctx, &servicediscovery.ListTagsForResourceInput{ResourceARN: namespace.Namespace.Arn})
	check("ListTagsForResource", err)
	r.observed["namespaceTags"] = len(tags.Tags)

	service, err := client.CreateService(r.ctx, &servicediscovery.CreateServiceInput{
		Name: aws.String("orders"), NamespaceId: aws.String(namespaceID),
		DnsConfig: &sdtypes.DnsConfig{
			RoutingPolicy: sdtypes.RoutingPolicyMultivalue,
			DnsRecords:    []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(10)}},
		},
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{FailureThreshold: aws.Int32(1)},
	})
	check("CreateService", err)
	serviceID := service.Service.Id
	updated, err := client.UpdateService(r.ctx, &servicediscovery.UpdateServiceInput{Id: serviceID, Service: &sdtypes.ServiceChange{
		Description: aws.String("orders API"),
		DnsConfig:   &sdtypes.DnsConfigChange{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(20)}}},
	}})
	check("UpdateService", err)
	r.operationTarget(client, updated.OperationId, sdtypes.OperationTargetTypeService)
	read, err := client.GetService(r.ctx, &servicediscovery.GetServiceInput{Id: serviceID})
	check("GetService", err)
	r.observed["serviceDescription"] = aws.ToString(read.Service.Description)
	r.observed["serviceTtl"] = aws.ToInt64(read.Service.DnsConfig.DnsRecords[0].TTL)
	r.observed["serviceCustomHealth"] = read.Service.HealthCheckCustomConfig != nil

	_, err = client.DeleteService(r.ctx, &servicediscovery.DeleteServiceInput{Id: serviceID})
	check("DeleteService", err)
	_, err = client.GetService(r.ctx, &servicediscovery.GetServiceInput{Id: serviceID})
	var noService *sdtypes.ServiceNotFound
	r.observed["deletedServiceIsNotFound"] = errors.As(err, &noService)
	deleted, err := client.DeleteNamespace(r.ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(namespaceID)})
	check("DeleteNamespace", err)
	r.operationTarget(client, deleted.OperationId, sdtypes.OperationTargetTypeNamespace)
	_, err = client.GetNamespace(r.ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(namespaceID)})
	var noNamespace *sdtypes.NamespaceNotFound
	r.observed["deletedNamespaceIsNotFound"] = errors.As(err, &noNamespace)
}

// operationTarget waits for a Cloud Map operation to succeed, as the provider does, and returns the target it names.
func (r *run) operationTarget(client *servicediscovery.Client, id *string, target sdtypes.OperationTargetType) string {
	for attempt := 0; attempt < 50; attempt++ {
		out, err := client.GetOperation(r.ctx, &servicediscovery.GetOperationInput{OperationId: id})
		check("GetOperation", err)
		switch out.Operation.Status {
		case sdtypes.OperationStatusSuccess:
			return out.Operation.Targets[string(target)]
		case sdtypes.OperationStatusFail:
			check("GetOperation", fmt.Errorf("operation %s failed: %s", aws.ToString(id), aws.ToString(out.Operation.ErrorMessage)))
		}

		time.Sleep(100 * time.Millisecond)
	}

	check("GetOperation", fmt.Errorf("operation %s did not finish", aws.ToString(id)))
	return ""
}

// mesh_ is aws_appmesh_mesh: created with an empty spec (the provider never sends none) and tags, read back with
// mesh_owner, updated, and its tags changed by untag-then-tag.
func (r *run) mesh_(account string) {
	created, err := r.client.CreateMesh(r.ctx, &appmesh.CreateMeshInput{
		MeshName: r.mesh,
		Spec:     &types.MeshSpec{},
		Tags:     []types.TagRef{{Key: aws.String("team"), Value: aws.String("payments")}, {Key: aws.String("env"), Value: aws.String("prod")}},
	})
	check("CreateMesh", err)
	arn := created.Mesh.Metadata.Arn
	read, err := r.client.DescribeMesh(r.ctx, &appmesh.DescribeMeshInput{MeshName: r.mesh, MeshOwner: aws.String(account)})
	check("DescribeMesh", err)
	r.observed["meshArn"] = aws.ToString(arn)
	r.observed["meshStatus"] = string(read.Mesh.Status.Status)
	r.observed["meshOwner"] = aws.ToString(read.Mesh.Metadata.MeshOwner)
	r.observed["meshResourceOwner"] = aws.ToString(read.Mesh.Metadata.ResourceOwner)
	r.observed["meshCreatedRecently"] = time.Since(aws.ToTime(read.Mesh.Metadata.CreatedAt)) < 10*time.Minute
	r.observed["meshVersion"] = aws.ToInt64(read.Mesh.Metadata.Version)

	updated, err := r.client.UpdateMesh(r.ctx, &appmesh.UpdateMeshInput{
		MeshName: r.mesh,
		Spec:     &types.MeshSpec{EgressFilter: &types.EgressFilter{Type: types.EgressFilterTypeAllowAll}},
	})
	check("UpdateMesh", err)
	r.observed["meshEgressAfterUpdate"] = string(updated.Mesh.Spec.EgressFilter.Type)
	r.observed["meshVersionAfterUpdate"] = aws.ToInt64(updated.Mesh.Metadata.Version)

	_, err = r.client.UntagResource(r.ctx, &appmesh.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}})
	check("UntagResource", err)
	_, err = r.client.TagResource(r.ctx, &appmesh.TagResourceInput{ResourceArn: arn, Tags: []types.TagRef{{Key: aws.String("team"), Value: aws.String("platform")}}})
	check("TagResource", err)
	tags, err := r.client.ListTagsForResource(r.ctx, &appmesh.ListTagsForResourceInput{ResourceArn: arn})
	check("ListTagsForResource", err)
	byKey := map[string]string{}
	for _, tag := range tags.Tags {
		byKey[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	r.observed["meshTags"] = byKey
}

// gatewayRoute is aws_appmesh_virtual_gateway, aws_appmesh_virtual_service with no provider, and an
// aws_appmesh_gateway_route matching only a hostname.
func (r *run) gatewayRoute() {
	_, err := r.client.CreateVirtualGateway(r.ctx, &appmesh.CreateVirtualGatewayInput{
		MeshName:           r.mesh,
		VirtualGatewayName: aws.String("gw"),
		Spec: &types.VirtualGatewaySpec{Listeners: []types.VirtualGatewayListener{
			{PortMapping: &types.VirtualGatewayPortMapping{Port: 8080, Protocol: types.VirtualGatewayPortProtocolHttp}},
		}},
	})
	check("CreateVirtualGateway", err)
	_, err = r.client.CreateVirtualService(r.ctx, &appmesh.CreateVirtualServiceInput{
		MeshName: r.mesh, VirtualServiceName: aws.String("svc.example.local"), Spec: &types.VirtualServiceSpec{},
	})
	check("CreateVirtualService", err)

	spec := &types.GatewayRouteSpec{HttpRoute: &types.HttpGatewayRoute{
		Match: &types.HttpGatewayRouteMatch{Hostname: &types.GatewayRouteHostnameMatch{Exact: aws.String("test.example.com")}},
		Action: &types.HttpGatewayRouteAction{Target: &types.GatewayRouteTarget{
			VirtualService: &types.GatewayRouteVirtualService{VirtualServiceName: aws.String("svc.example.local")},
		}},
	}}
	_, err = r.client.CreateGatewayRoute(r.ctx, &appmesh.CreateGatewayRouteInput{
		MeshName: r.mesh, VirtualGatewayName: aws.String("gw"), GatewayRouteName: aws.String("by-host"), Spec: spec,
	})
	check("CreateGatewayRoute", err)
	read, err := r.client.DescribeGatewayRoute(r.ctx, &appmesh.DescribeGatewayRouteInput{
		MeshName: r.mesh, VirtualGatewayName: aws.String("gw"), GatewayRouteName: aws.String("by-host"),
	})
	check("DescribeGatewayRoute", err)
	r.observed["gatewayRouteSpecEqual"] = sameSpec("gateway route", spec, read.GatewayRoute.Spec)
	r.observed["gatewayRouteStatus"] = string(read.GatewayRoute.Status.Status)
}

// nodeAndRoute is an aws_appmesh_virtual_node and aws_appmesh_route whose specs use the SDK's unions (service
// discovery, listener timeout, backend, trust, access log): each must read back as it was written.
func (r *run) nodeAndRoute() {
	node := &types.VirtualNodeSpec{
		ServiceDiscovery: &types.ServiceDiscoveryMemberDns{Value: types.DnsServiceDiscovery{Hostname: aws.String("orders.example.local")}},
		Listeners: []types.Listener{{
			PortMapping: &types.PortMapping{Port: 8080, Protocol: types.PortProtocolHttp},
			HealthCheck: &types.HealthCheckPolicy{
				Protocol: types.PortProtocolHttp, Path: aws.String("/ping"), HealthyThreshold: 2, UnhealthyThreshold: 3,
				IntervalMillis: aws.Int64(5000), TimeoutMillis: aws.Int64(2000),
			},
			Timeout: &types.ListenerTimeoutMemberHttp{Value: types.HttpTimeout{PerRequest: &types.Duration{Unit: types.DurationUnitS, Value: aws.Int64(15)}}},
		}},
		Backends: []types.Backend{&types.BackendMemberVirtualService{Value: types.VirtualServiceBackend{
			VirtualServiceName: aws.String("svc.example.local"),
			ClientPolicy: &types.ClientPolicy{Tls: &types.ClientPolicyTls{Validation: &types.TlsValidationContext{
				Trust: &types.TlsValidationContextTrustMemberFile{Value: types.TlsValidationContextFileTrust{CertificateChain: aws.String("/etc/mesh/ca.pem")}},
			}}},
		}}},
		Logging: &types.Logging{AccessLog: &types.AccessLogMemberFile{Value: types.FileAccessLog{Path: aws.String("/dev/stdout")}}},
	}
	_, err := r.client.CreateVirtualNode(r.ctx, &appmesh.CreateVirtualNodeInput{MeshName: r.mesh, VirtualNodeName: aws.String("orders"), Spec: node})
	check("CreateVirtualNode", err)
	readNode, err := r.client.DescribeVirtualNode(r.ctx, &appmesh.DescribeVirtualNodeInput{MeshName: r.mesh, VirtualNodeName: aws.String("orders")})
	check("DescribeVirtualNode", err)
	r.observed["virtualNodeSpecEqual"] = sameSpec("virtual node", node, readNode.VirtualNode.Spec)

	_, err = r.client.CreateVirtualRouter(r.ctx, &appmesh.CreateVirtualRouterInput{
		MeshName: r.mesh, VirtualRouterName: aws.String("router"),
		Spec: &types.VirtualRouterSpec{Listeners: []types.VirtualRouterListener{{PortMapping: &types.PortMapping{Port: 8080, Protocol: types.PortProtocolHttp}}}},
	})
	check("CreateVirtualRouter", err)
	route := &types.RouteSpec{HttpRoute: &types.HttpRoute{
		Match:  &types.HttpRouteMatch{Prefix: aws.String("/")},
		Action: &types.HttpRouteAction{WeightedTargets: []types.WeightedTarget{{VirtualNode: aws.String("orders"), Weight: 100}}},
		RetryPolicy: &types.HttpRetryPolicy{
			MaxRetries: aws.Int64(3), PerRetryTimeout: &types.Duration{Unit: types.DurationUnitMs, Value: aws.Int64(2000)},
			HttpRetryEvents: []string{"server-error", "gateway-error"}, TcpRetryEvents: []types.TcpRetryPolicyEvent{types.TcpRetryPolicyEventConnectionError},
		},
	}}
	_, err = r.client.CreateRoute(r.ctx, &appmesh.CreateRouteInput{MeshName: r.mesh, VirtualRouterName: aws.String("router"), RouteName: aws.String("all"), Spec: route})
	check("CreateRoute", err)
	readRoute, err := r.client.DescribeRoute(r.ctx, &appmesh.DescribeRouteInput{MeshName: r.mesh, VirtualRouterName: aws.String("router"), RouteName: aws.String("all")})
	check("DescribeRoute", err)
	r.observed["routeSpecEqual"] = sameSpec("route", route, readRoute.Route.Spec)
}

// paging is the provider's list through the SDK's paginator, one item a page.
func (r *run) paging() {
	for _, name := range []string{"page-a", "page-b"} {
		_, err := r.client.CreateVirtualNode(r.ctx, &appmesh.CreateVirtualNodeInput{MeshName: r.mesh, VirtualNodeName: aws.String(name), Spec: &types.VirtualNodeSpec{}})
		check("CreateVirtualNode "+name, err)
	}

	names, pages := []string{}, 0
	paginator := appmesh.NewListVirtualNodesPaginator(r.client, &appmesh.ListVirtualNodesInput{MeshName: r.mesh, Limit: aws.Int32(1)})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(r.ctx)
		check("ListVirtualNodes", err)
		pages++
		for _, ref := range page.VirtualNodes {
			names = append(names, aws.ToString(ref.VirtualNodeName))
		}
	}

	r.observed["pagedVirtualNodes"] = names
	r.observed["pages"] = pages
}

// errors are the modeled exceptions the provider tests for with errors.As.
func (r *run) errors() {
	_, err := r.client.DescribeVirtualNode(r.ctx, &appmesh.DescribeVirtualNodeInput{MeshName: r.mesh, VirtualNodeName: aws.String("absent")})
	var notFound *types.NotFoundException
	r.observed["absentIsNotFound"] = errors.As(err, &notFound)

	_, err = r.client.CreateMesh(r.ctx, &appmesh.CreateMeshInput{MeshName: r.mesh, Spec: &types.MeshSpec{}})
	var conflict *types.ConflictException
	r.observed["duplicateIsConflict"] = errors.As(err, &conflict)

	_, err = r.client.CreateGatewayRoute(r.ctx, &appmesh.CreateGatewayRouteInput{
		MeshName: r.mesh, VirtualGatewayName: aws.String("gw"), GatewayRouteName: aws.String("no-match"),
		Spec: &types.GatewayRouteSpec{HttpRoute: &types.HttpGatewayRoute{
			Match:  &types.HttpGatewayRouteMatch{Method: types.HttpMethodGet},
			Action: &types.HttpGatewayRouteAction{Target: &types.GatewayRouteTarget{VirtualService: &types.GatewayRouteVirtualService{VirtualServiceName: aws.String("svc.example.local")}}},
		}},
	})
	var bad *types.BadRequestException
	if errors.As(err, &bad) {
		r.observed["badRequestMessage"] = bad.ErrorMessage()
	}

	_, err = r.client.DeleteVirtualService(r.ctx, &appmesh.DeleteVirtualServiceInput{MeshName: r.mesh, VirtualServiceName: aws.String("svc.example.local")})
	var inUse *types.ResourceInUseException
	r.observed["referencedServiceIsInUse"] = errors.As(err, &inUse)
}

// teardown is terraform destroy, children first; the mesh is then NotFound, which the provider takes as gone.
func (r *run) teardown() {
	steps := []struct {
		name string
		call func() error
	}{
		{"DeleteGatewayRoute", func() error {
			_, err := r.client.DeleteGatewayRoute(r.ctx, &appmesh.DeleteGatewayRouteInput{MeshName: r.mesh, VirtualGatewayName: aws.String("gw"), GatewayRouteName: aws.String("by-host")})
			return err
		}},
		{"DeleteVirtualGateway", func() error {
			_, err := r.client.DeleteVirtualGateway(r.ctx, &appmesh.DeleteVirtualGatewayInput{MeshName: r.mesh, VirtualGatewayName: aws.String("gw")})
			return err
		}},
		{"DeleteRoute", func() error {
			_, err := r.client.DeleteRoute(r.ctx, &appmesh.DeleteRouteInput{MeshName: r.mesh, VirtualRouterName: aws.String("router"), RouteName: aws.String("all")})
			return err
		}},
		{"DeleteVirtualRouter", func() error {
			_, err := r.client.DeleteVirtualRouter(r.ctx, &appmesh.DeleteVirtualRouterInput{MeshName: r.mesh, VirtualRouterName: aws.String("router")})
			return err
		}},
		{"DeleteVirtualService", func() error {
			_, err := r.client.DeleteVirtualService(r.ctx, &appmesh.DeleteVirtualServiceInput{MeshName: r.mesh, VirtualServiceName: aws.String("svc.example.local")})
			return err
		}},
	}
	for _, step := range steps {
		check(step.name, step.call())
	}

	for _, name := range []string{"orders", "page-a", "page-b"} {
		_, err := r.client.DeleteVirtualNode(r.ctx, &appmesh.DeleteVirtualNodeInput{MeshName: r.mesh, VirtualNodeName: aws.String(name)})
		check("DeleteVirtualNode "+name, err)
	}

	deleted, err := r.client.DeleteMesh(r.ctx, &appmesh.DeleteMeshInput{MeshName: r.mesh})
	check("DeleteMesh", err)
	r.observed["deletedMeshStatus"] = string(deleted.Mesh.Status.Status)
	_, err = r.client.DescribeMesh(r.ctx, &appmesh.DescribeMeshInput{MeshName: r.mesh})
	var notFound *types.NotFoundException
	r.observed["deletedMeshIsNotFound"] = errors.As(err, &notFound)
}

// sameSpec says whether what was read back deserialises to exactly what was written; when not, both go to stderr.
func sameSpec(what string, written, read any) bool {
	if reflect.DeepEqual(written, read) {
		return true
	}

	w, _ := json.Marshal(written)
	d, _ := json.Marshal(read)
	fmt.Fprintf(os.Stderr, "%s differs:\n written %s\n read    %s\n", what, w, d)
	return false
}

func check(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
		os.Exit(1)
	}
}
