#!/usr/bin/env python3
"""Soak: steady API churn on one mesh and one Cloud Map service for a while, sampling the two hosts' memory.

Against a running ./run.sh stack (docs/benchmarks.md, "Soak"). Each loop, through boto3 signed as the SDKs sign:
an UpdateRoute (a weight change every proxy of the router's backends gets), a CreateVirtualNode and a
DeleteVirtualNode (of the node created five loops before), an UpdateVirtualNode, a DescribeVirtualNode, a
ListVirtualNodes, a RegisterInstance and every third loop a DeregisterInstance (of the instance registered 25 loops before), then --pause seconds. Every 30 s it
prints one JSON line: calls and errors so far, each host's RSS (from /proc), its managed heap at the last GC and its
gen2 collections (from /metrics), the xDS server's streams, and each host's open file descriptors.

Proxies are not simulated here: connect them beside it (for example SotW or delta clients for mesh/<mesh>/virtualNode/n0..n19).

    python3 benchmarks/soak/soak.py --mesh soak --minutes 35
"""
import argparse
import json
import os
import random
import subprocess
import time
import urllib.request

import boto3
from botocore.config import Config

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--mesh', default='soak')
parser.add_argument('--minutes', type=float, default=30)
parser.add_argument('--nodes', type=int, default=20, help='virtual nodes n0..n<nodes-1>, each a backend of svc.<mesh>.local')
parser.add_argument('--pause', type=float, default=0.1, help='seconds between loops (0 runs as fast as answers come)')
parser.add_argument('--api', default='http://127.0.0.1:8080')
parser.add_argument('--xds-admin', default='http://127.0.0.1:18001')
parser.add_argument('--credentials', default='.mesh/credentials', help="the CLI-format credentials file (run.sh's)")
args = parser.parse_args()

os.environ.setdefault('AWS_SHARED_CREDENTIALS_FILE', args.credentials)
config = Config(retries={'max_attempts': 2})
am = boto3.client('appmesh', endpoint_url=args.api, region_name='us-east-1', config=config)
sd = boto3.client('servicediscovery', endpoint_url=args.api, region_name='us-east-1', config=config)
service = f'svc.{args.mesh}.local'
run = int(time.time()) % 100000  # the temporary nodes' names are this run's own


def pid_of(pattern):
    found = subprocess.run(['pgrep', '-o', '-f', pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def rss_kib(pid):
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1])
    return None


def metric(url, prefix):
    """The sum of every series of /metrics whose line starts with prefix (None when the host does not answer)."""
    try:
        text = urllib.request.urlopen(url + '/metrics', timeout=5).read().decode()
    except OSError:
        return None
    return sum(float(line.rsplit(' ', 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def node_spec(i, port=8080):
    return {'listeners': [{'portMapping': {'port': port, 'protocol': 'http'}}],
            'serviceDiscovery': {'dns': {'hostname': f'n{i}.{args.mesh}.local'}},
            'backends': [{'virtualService': {'virtualServiceName': service}}]}


def route_spec(weight):
    targets = [{'virtualNode': 'n0', 'weight': weight}, {'virtualNode': 'n1', 'weight': 100 - weight}]
    return {'httpRoute': {'match': {'prefix': '/'}, 'action': {'weightedTargets': targets}}}


def create(call, **kwargs):
    try:
        call(**kwargs)
    except (am.exceptions.ConflictException, sd.exceptions.NamespaceAlreadyExists, sd.exceptions.ServiceAlreadyExists):
        pass


create(am.create_mesh, meshName=args.mesh)
for i in range(args.nodes):
    create(am.create_virtual_node, meshName=args.mesh, virtualNodeName=f'n{i}', spec=node_spec(i))
create(am.create_virtual_router, meshName=args.mesh, virtualRouterName='r',
       spec={'listeners': [{'portMapping': {'port': 8080, 'protocol': 'http'}}]})
create(am.create_virtual_service, meshName=args.mesh, virtualServiceName=service,
       spec={'provider': {'virtualRouter': {'virtualRouterName': 'r'}}})
create(am.create_route, meshName=args.mesh, virtualRouterName='r', routeName='rt', spec=route_spec(50))
create(sd.create_http_namespace, Name=f'{args.mesh}-ns')
namespace_id = next(ns['Id'] for ns in sd.list_namespaces()['Namespaces'] if ns['Name'] == f'{args.mesh}-ns')
create(sd.create_service, Name='instances', NamespaceId=namespace_id)
service_id = next(s['Id'] for s in sd.list_services(Filters=[{'Name': 'NAMESPACE_ID', 'Values': [namespace_id]}])['Services']
                  if s['Name'] == 'instances')

api_pid = pid_of(f'Mesh.Api.dll.*--urls {args.api}')
xds_pid = pid_of('Mesh.XdsServer.dll')
print(json.dumps({'api_pid': api_pid, 'xds_pid': xds_pid}), flush=True)

start = time.time()
calls = errors = loop = 0
next_sample = 0.0
last_error = None
while time.time() - start < args.minutes * 60:
    try:
        am.update_route(meshName=args.mesh, virtualRouterName='r', routeName='rt', spec=route_spec(random.randint(1, 99)))
        am.create_virtual_node(meshName=args.mesh, virtualNodeName=f'tmp{run}-{loop}', spec=node_spec(1000 + loop))
        calls += 2
        if loop >= 5:
            am.delete_virtual_node(meshName=args.mesh, virtualNodeName=f'tmp{run}-{loop - 5}')
            calls += 1
        i = random.randrange(args.nodes)
        am.update_virtual_node(meshName=args.mesh, virtualNodeName=f'n{i}', spec=node_spec(i, random.choice([8080, 8081])))
        am.describe_virtual_node(meshName=args.mesh, virtualNodeName=f'n{i}')
        am.list_virtual_nodes(meshName=args.mesh, limit=10)
        sd.register_instance(ServiceId=service_id, InstanceId=f'i{loop % 50}',
                             Attributes={'AWS_INSTANCE_IPV4': f'10.0.{loop % 50}.1', 'AWS_INSTANCE_PORT': '8080'})
        calls += 4
        if loop % 3 == 0 and loop >= 25:  # the instance registered 25 loops ago (and not deregistered since)
            sd.deregister_instance(ServiceId=service_id, InstanceId=f'i{(loop - 25) % 50}')
            calls += 1
    except Exception as error:  # counted and shown; the soak goes on
        errors += 1
        last_error = repr(error)[:200]
    loop += 1
    time.sleep(args.pause)
    elapsed = time.time() - start
    if elapsed >= next_sample:
        next_sample += 30
        print(json.dumps({
            't': round(elapsed), 'calls': calls, 'errors': errors, 'last_error': last_error,
            'api_rss_kib': rss_kib(api_pid), 'xds_rss_kib': rss_kib(xds_pid),
            'api_heap_bytes': metric(args.api, 'dotnet_gc_last_collection_heap_size_bytes'),
            'xds_heap_bytes': metric(args.xds_admin, 'dotnet_gc_last_collection_heap_size_bytes'),
            'api_gen2': metric(args.api, 'dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen2"}'),
            'xds_gen2': metric(args.xds_admin, 'dotnet_gc_collections_total{otel_scope_name="System.Runtime",gc_heap_generation="gen2"}'),
            'xds_streams': metric(args.xds_admin, 'mesh_xds_streams{'),
            'api_fds': len(os.listdir(f'/proc/{api_pid}/fd')), 'xds_fds': len(os.listdir(f'/proc/{xds_pid}/fd'))}), flush=True)
print(json.dumps({'done': True, 'calls': calls, 'errors': errors, 'last_error': last_error}), flush=True)
