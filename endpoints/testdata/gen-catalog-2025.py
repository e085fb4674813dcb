# Generates endpoints/catalog-2025-07-08.yaml from ../shared/seed/FACTS.md (sections 3 and 2.3);
# run from the repository: python3 endpoints/testdata/gen-catalog-2025.py > endpoints/catalog-2025-07-08.yaml
import re, sys
facts = open(__import__('os').path.join(__import__('os').path.dirname(__file__), '../../../shared/seed/FACTS.md')).read()

def table_after(heading, nth=0):
    i = facts.index(heading)
    rows = []
    lines = facts[i:].split('\n')[1:]
    tables = []
    cur = []
    for l in lines:
        if l.startswith('## ') or l.startswith('# '):
            break
        if l.startswith('|'):
            cur.append([c.strip() for c in l.strip().strip('|').split('|')])
        elif cur:
            tables.append(cur); cur = []
    if cur: tables.append(cur)
    t = tables[nth]
    return t[2:]  # skip header and separator

ip = re.compile(r'\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b')
titles = {'AP North':'jp-tok','AP South':'au-syd','EU Central':'eu-de','Madrid':'eu-es','Osaka':'jp-osa','Sao Paulo':'br-sao','Toronto':'ca-tor','UK South':'eu-gb','US East':'us-east','US South':'us-south'}
aliases = {'jp-tok':['ap-north'],'au-syd':['ap-south'],'eu-de':['eu-central'],'eu-gb':['uk-south'],'us-east':[],'us-south':[],'eu-es':[],'jp-osa':[],'br-sao':[],'ca-tor':[]}
order = ['jp-tok','au-syd','eu-de','eu-gb','us-east','us-south','eu-es','jp-osa','br-sao','ca-tor']

public = {}
for r in table_after('## 3.2 Public firewall'):
    reg = titles[r[0]]
    zones = [z.strip() for z in r[1].split(',')]
    ips = ip.findall(r[3])
    assert len(ips) == int(r[2]), (r[0], len(ips), r[2])
    public[reg] = (r[0], zones, ips)

private = {}
for r in table_after('## 3.4 Private firewall', 1):
    reg = titles[r[0]]
    ips = ip.findall(r[3])
    assert len(ips) == int(r[2]), (r[0], len(ips))
    private[reg] = ([z.strip() for z in r[1].split(',')], ips)

preg = {}
for r in table_after('## 3.4 Private firewall', 3):
    host = r[1].split(',')[0].strip()
    after = ip.findall(r[3])
    names = r[0]
    preg[names] = (r[1], after, r[3])

dcs = {}
for r in table_after('## 2.3 Current infrastructure edition'):
    fe = ip.findall(r[2]); be = ip.findall(re.sub(r'\(.*?\)', '', r[4]))
    dcs[r[0]] = (fe, be, r[4])

monitors = []
for r in table_after('## 3.7 Inbound'):
    monitors.append((r[0], ip.findall(r[2]), int(r[1])))

pubreg = {'jp-tok':['jp.icr.io','au.icr.io'],'jp-osa':['jp2.icr.io','au.icr.io'],'au-syd':['au.icr.io'],'eu-es':['de.icr.io'],
          'us-east':['us.icr.io'],'us-south':['us.icr.io'],'eu-gb':['uk.icr.io'],'eu-de':['de.icr.io'],'br-sao':['br.icr.io'],'ca-tor':['ca.icr.io']}
unsure_reg = {'br-sao':'br.icr.io','ca-tor':'ca.icr.io'}
privreg_key = {'jp-tok':'AP North','au-syd':'AP South','eu-de':'EU Central','eu-es':'Madrid','jp-osa':'Osaka','br-sao':'Sao Paulo (printed "Sao Paolo")','ca-tor':'Toronto','eu-gb':'UK South','us-east':'US East, US South','us-south':'US East, US South'}

out = []
w = out.append
w('''# fwcheck catalog, edition 2025-07-08: the current IBM Cloud Kubernetes Service firewall page
# for classic clusters ("Opening required ports and IP addresses in your allowlist").
#
# Sources (as compiled in FACTS.md section 3 and 2.3-2.5; every fact below comes from there):
#   S10  ibm-cloud-docs/containers firewall.md @1354cd8ac2ebfd16886db9890dfee288c6f4a497,
#        lastupdated 2025-07-08 (the firewall page itself)
#   S9   ibm-cloud-docs/infrastructure-hub ips.md @09949dd8043382097a690495df5c989003ed3850,
#        lastupdated 2024-12-16 (front-end and service-network ranges of each zone)
#   S12, S13, S14: secondary sources for region IDs, master host forms and public registry names
#        (IBM Cloud Satellite outbound requirements 2022-2024, an IBM runbook, public
#        `ibmcloud ks cluster get` outputs): not the firewall page; marked where used.
# [U] marks what FACTS.md marks unsure; the report carries those as notes.
#
# Edit a copy made with `fwcheck catalog export --edition 2025-07-08`, check it with
# `fwcheck catalog validate FILE`, and use it with `--catalog FILE`.
edition: "2025-07-08"
source: "IBM Cloud Kubernetes Service firewall page (classic), lastupdated 2025-07-08 (S10 @1354cd8); IBM Cloud IP ranges, 2024-12-16 (S9 @09949dd); region IDs, host forms and registry names from S12-S14"
notes:
  - "edition 2025-07-08: the master tables are per region, not per zone; the 10 Akamai-range IPs of each region are origin/bootstrap.<region>.containers.cloud.ibm.com (S12, a secondary source) and are probed like the rest"

groups:
  - name: api
    section: firewall_cli
    title: "ibmcloud CLI to IBM Cloud and the Kubernetes Service API"
    reason: "ibmcloud login calls cloud.ibm.com, ibmcloud ks calls containers.cloud.ibm.com, over HTTPS"
    required: true
    protocol: tcp
    ports: "443"
  - name: master
    section: firewall_kubectl
    title: "kubectl to the cluster master"
    reason: "the master URL's port is assigned at random from 30000-32767 when the cluster is created"
    required: true
    protocol: tcp
    ports: "30000-32767"
  - name: etcd
    section: firewall_calicoctl
    title: "calicoctl to the cluster's etcd"
    reason: "calicoctl reads Calico policies from etcd on the master at the port of the cluster-info ConfigMap's etcd_host"
    required: true
    protocol: tcp
    ports: "30000-32767"
  - name: region
    section: firewall_outbound
    title: "worker nodes to the cluster master IPs of the region"
    reason: "workers reach the master over the public cloud service endpoint on TCP 443 at every IP of the region's table (UDP 443 with the master ports)"
    required: true
    protocol: tcp
    ports: "443"
  - name: registry
    section: firewall_outbound
    title: "worker nodes to IBM Cloud Container Registry"
    reason: "images are pulled from the global and the regional registry over HTTPS (the page links to the Registry docs for their addresses)"
    required: true
    protocol: tcp
    ports: "443"
  - name: iam
    section: firewall_outbound
    title: "worker nodes to IBM Cloud IAM"
    reason: "IAM has no fixed IPs: a layer-7 allowlist of these hosts, or all HTTPS on 443"
    required: true
    protocol: tcp
    ports: "443"
  - name: monitoring
    section: firewall_outbound
    title: "worker nodes to IBM Cloud Monitoring"
    reason: "worker metrics go to the region's monitoring endpoints (optional)"
    required: false
    protocol: tcp
    ports: "443,6443"
  - name: logging
    section: firewall_outbound
    title: "worker nodes to IBM Cloud Logs"
    reason: "container logs go to the region's Cloud Logs endpoints (optional)"
    required: false
    protocol: tcp
    ports: "443,80"
  - name: private
    section: firewall_private
    title: "worker nodes to the IBM Cloud private network"
    reason: "the private service endpoint, the private registry, storage and DNS: the ports of the page's private table, to 166.8.0.0/14, 161.26.0.0/16, the dal10 and wdc04 ranges and the zones' service networks"
    required: true
    protocol: tcp,udp
    ports: "80,443,2049,3260,53"
  - name: pvc
    section: firewall_outbound
    title: "worker nodes to the storage ranges for persistent volume claims"
    reason: "without private-network-capable storage plug-ins, allow all egress TCP 443 and the front-end and back-end ranges of the cluster's zone"
    required: true
    protocol: tcp
    ports: "443"
  - name: nodeport
    section: firewall_inbound
    title: "NodePort service from outside the cluster"
    reason: "a NodePort service answers on its port on the public or private IP of every worker node"
    required: true
    protocol: tcp
    ports: "30000-32767"
  - name: loadbalancer
    section: firewall_inbound
    title: "LoadBalancer service from outside the cluster"
    reason: "a LoadBalancer service answers on its port at the load balancer's IP"
    required: true
    protocol: tcp
    ports: "any"
  - name: ingress
    section: firewall_inbound
    title: "Ingress application load balancer from outside the cluster"
    reason: "the Ingress ALB answers HTTP on port 80 and HTTPS on port 443"
    required: true
    protocol: tcp
    ports: "80,443"

# ibmcloud ks: `curl https://containers.cloud.ibm.com/v1/zones` answers a JSON list of zones.
api:
  host: containers.cloud.ibm.com
  port: 443
  path: /v1/zones
  expect_json: list

# ibmcloud login -a https://cloud.ibm.com/
cli_hosts: [cloud.ibm.com]

# calicoctl: the etcd port (S10 3.1).
etcd_source: "etcd_host of `kubectl get cm -n kube-system cluster-info -o yaml`"

# The master URL's port and the etcd port are drawn from this range.
master_ports: "30000-32767"

# The global registry, checked from every region (S12: icr.io in every region's list).
registry_global: icr.io

# IAM hosts (S10 3.3).
iam: [iam.cloud.ibm.com, iam.bluemix.net]

# Monitoring and Cloud Logs: the page gives no address, only links (S10 3.3).
monitoring_docs: "the monitoring endpoints of the region in /docs/monitoring?topic=monitoring-endpoints (TCP 443, 6443)"
logging_docs: "the Cloud Logs addresses in /docs/cloud-logs?topic=cloud-logs-ips2open (TCP 443, 80)"

# Private network: the zones used, these data centers and these ranges (S10 3.4).
private_always: [dal10, wdc04]
service_network: [166.8.0.0/14, 161.26.0.0/16]
# Inbound to the workers' private IPs that no probe from the worker can prove (S10 3.4).
private_inbound: "10250"
private_registry_global: private.icr.io

# Inbound sources that must reach the Ingress subdomain's health checks (S10 3.7): allowances
# from outside, listed in a section of their own, never probed.
ingress_monitors:''')
for name, cidrs, n in monitors:
    assert len(cidrs) == n, (name, len(cidrs), n)
    w(f'  - name: "{name}"')
    w(f'    ports: "443"')
    w(f'    sources: [{", ".join(cidrs)}]')

w('''
# Documented addresses of the service hosts (private registry, S10 3.4: the IPs after
# 2022-07-05; br-sao and ca-tor changed 2022-06-23).
hosts:''')
hosts_done = set()
def host(name, ips, comment=None):
    if name in hosts_done: return
    hosts_done.add(name)
    if comment: w(f'  # {comment}')
    w(f'  - name: {name}')
    w(f'    addresses: [{", ".join(ips)}]')
for key,(names, after, raw) in preg.items():
    for n in [x.strip() for x in names.split(',')]:
        c = None
        if '[U]' in raw: c = 'private.es.icr.io: the same IPs as EU Central, as printed [U]'
        host(n, after, c)

w('''
# Regions, by the region IDs of S12-S14 ([U]: the page titles its tables by name only); the
# 2018 names and the table titles are aliases. master: the public table (S10 3.2; the last 10
# of each, in Akamai ranges, are origin/bootstrap); master_private: the private table
# (S10 3.4); zones: the zones of the table, each with its front-end and service-network ranges
# from S9 below.
regions:''')
for reg in order:
    title, zones, ips = public[reg]
    w(f'  - name: {reg}')
    w(f'    title: {title}')
    al = aliases[reg][:]
    w(f'    aliases: [{", ".join(al + [chr(34)+title+chr(34)])}]')
    regs = pubreg[reg]
    if reg in unsure_reg:
        w(f'    # {unsure_reg[reg]}: the public form by analogy with the private one [U] (FACTS.md 3.10)')
    w(f'    registries: [{", ".join(regs)}]')
    pr = {'jp-tok':'private.jp.icr.io','au-syd':'private.au.icr.io','eu-de':'private.de.icr.io','eu-es':'private.es.icr.io','jp-osa':'private.jp2.icr.io','br-sao':'private.br.icr.io','ca-tor':'private.ca.icr.io','eu-gb':'private.uk.icr.io','us-east':'private.us.icr.io','us-south':'private.us.icr.io'}[reg]
    w(f'    private_registry: {pr}')
    if reg in ('jp-tok','au-syd','eu-de','eu-gb','us-east','us-south','eu-es','jp-osa'):
        pass
    notes = []
    if reg in unsure_reg:
        notes.append(f"the public registry {unsure_reg[reg]} is named by analogy with private.{unsure_reg[reg]} [U]")
    if reg == 'eu-es':
        notes.append("private.es.icr.io is printed with EU Central's IPs [U]")
    if reg not in private:
        other = {'br-sao':('sao01','US South'),'ca-tor':('tor01','US East')}[reg]
        notes.append(f"the page's private table has no row for {title} ({other[0]} is listed under {other[1]}): the private master opening is unverified, not guessed")
    if notes:
        w('    notes:')
        for n in notes:
            w(f'      - "{n}"')
    w(f'    master: [{", ".join(ips)}]')
    if reg in private:
        w(f'    master_private: [{", ".join(private[reg][1])}]')
    w('    locations:')
    for z in zones:
        fe, be, raw = dcs[z]
        c = ''
        if '(sic' in raw:
            c = '  # fra05: 166.0.32.0/23 as printed (sic); 166.9.32.0/23 is expected from the pattern [U]'
        if '(same /22' in raw:
            c = '  # 161.26.132.0/22 printed under wdc04 and wdc07 alike'
        w(f'      - {{name: {z}, frontend: [{", ".join(fe)}], backend: [{", ".join(be)}]}}{c}')

w('''
# Data centers the page names that are not in a region's table.
datacenters:''')
# dal10, wdc04 are zones already; none extra needed except "All" service network
fe, be, raw = dcs['All']
w(f'  # "All" in S9: the service network every data center routes to.')
w(f'  - {{name: all, backend: [{", ".join(be)}]}}')
sys.stdout.write('\n'.join(out) + '\n')
