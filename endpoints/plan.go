package endpoints

import (
	"cmp"
	"crypto/x509"
	"fmt"
	"iter"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/probe"
)

// Profile is who runs the check: it decides which openings apply.
type Profile string

const (
	Workstation Profile = "workstation"
	Worker      Profile = "worker"
	Inbound     Profile = "inbound"
	Adhoc       Profile = "probe"
)

// Facts are what the user told us about the cluster and the run, already parsed.
type Facts struct {
	Profile   Profile
	Region    string
	Locations []string
	// Master is the master URL's host and port; Host is empty when unknown.
	Master HostPort
	// PrivateMaster is the cluster's private service endpoint when the kubeconfig names one
	// beside the public master; a workstation checks it as an opening of its own.
	PrivateMaster   HostPort
	PrivateMasterCA []byte
	// MasterCA, if non-empty, is the cluster's CA (PEM) that the master's certificate must
	// chain to; without it the master is checked as `curl --insecure`.
	MasterCA []byte
	// EtcdNote, if non-empty, says why the etcd endpoint is unknown (when no Etcd is given).
	EtcdNote string
	// Notes are facts about where the facts came from, for the report.
	Notes []string
	Etcd  []HostPort
	// NodeIPs × NodePorts, LoadBalancers and Ingress are the inbound targets.
	NodeIPs       []HostPort // Port unused
	NodePorts     []uint16
	LoadBalancers []HostPort
	Ingress       []HostPort // Port unused
	// Private and PVC add the private-network and storage openings to a worker run.
	Private, PVC bool
	// Sweep dials every address of a documented range instead of reporting it unverified.
	Sweep bool
	// Skip leaves these groups out.
	Skip []string
	// Probes are the targets of `fwcheck probe` as given (HOST:PORT or a URL), parsed when the
	// plan is built and again as each is dialed: 100,000 of them are 4 MB as text, where
	// parsed into openings they were 54 MB.
	Probes []string
}

// Opening is one firewall opening the page asks for, with the targets that prove it.
type Opening struct {
	ID           string
	Group        string
	Section      string
	Title        string
	Reason       string
	Direction    string
	Protocol     string
	Ports        string
	Destinations []string
	Required     bool
	// Documented are the addresses and ranges the page gives for the destinations; an
	// address a name resolves to outside them means the page has drifted.
	Documented []netip.Prefix
	Targets    []probe.Target
	// Sweeps are documented ranges dialed address by address (--sweep); their targets are
	// made as they are dialed, never held, so a /16 costs no more memory than a /24.
	Sweeps []Sweep
	// Skip, if non-empty, is why the opening is not checked.
	Skip string
}

// Sweep is one range dialed on every address and port. Target i is address i/len(Ports) of
// the range on port Ports[i%len(Ports)].
type Sweep struct {
	Range netip.Prefix
	Ports []uint16
}

// Addresses is the number of addresses in the range.
func (s Sweep) Addresses() int {
	return 1 << (s.Range.Addr().BitLen() - s.Range.Bits())
}

// Count is the number of probes the sweep makes.
func (s Sweep) Count() int { return s.Addresses() * len(s.Ports) }

// Target is the i-th probe of the sweep, 0 <= i < Count().
func (s Sweep) Target(i int) probe.Target {
	n := len(s.Ports)
	a := nthAddr(s.Range.Masked().Addr(), uint64(i/n))
	return probe.Target{Host: a.String(), Addr: a, Port: s.Ports[i%n], Check: probe.CheckTCP, Range: s.Range}
}

// nthAddr adds k to a (k fits in the host bits of a swept range, at most 16 of them).
func nthAddr(a netip.Addr, k uint64) netip.Addr {
	b := a.As16()
	for i := 15; i >= 0 && k > 0; i-- {
		sum := uint64(b[i]) + k&0xff
		b[i] = byte(sum)
		k = k>>8 + sum>>8
	}
	out := netip.AddrFrom16(b)
	if a.Is4() {
		return out.Unmap()
	}
	return out
}

// Plan is what a run will check.
type Plan struct {
	Profile Profile
	Region  string
	Edition string
	// Notes are facts the user should know about the plan (an inferred region, a fact missing).
	Notes []string
	// openings are the catalog's openings; adhoc are the targets of `fwcheck probe`, an opening
	// each, made when asked for (At) so that a plan of 100,000 targets stays small.
	openings []Opening
	adhoc    []string
	// Allow are allowances from outside that no probe can make (the Ingress health checks'
	// sources): listed apart, never a warning.
	Allow []Allowance
}

// Allowance is a list of sources a firewall must let in to some destinations.
type Allowance struct {
	Name         string
	Reason       string
	Protocol     string
	Ports        string
	Sources      []string
	Destinations []string
}

// NewPlan is a plan of the given openings, for callers that make their own.
func NewPlan(profile Profile, openings ...Opening) *Plan {
	return &Plan{Profile: profile, openings: openings}
}

// Len is the number of openings.
func (p *Plan) Len() int { return len(p.openings) + len(p.adhoc) }

// At is opening i, 0 <= i < Len().
func (p *Plan) At(i int) Opening {
	if i < len(p.openings) {
		return p.openings[i]
	}
	t, err := ParseProbeTarget(p.adhoc[i-len(p.openings)])
	if err != nil {
		// BuildPlan parsed every target: this cannot happen, and must never pass unseen.
		panic(fmt.Sprintf("endpoints: a probe target parsed once no longer parses: %v", err))
	}
	return adhocOpening(i-len(p.openings), t)
}

// Probes counts opening i's probes, its targets and its sweeps' addresses × ports apart (0 for
// a skipped opening), without making the opening: an ad-hoc one is one target.
func (p *Plan) Probes(i int) (targets, swept int) {
	if i >= len(p.openings) {
		return 1, 0 // an ad-hoc target, never skipped
	}
	o := &p.openings[i]
	if o.Skip != "" {
		return 0, 0
	}
	for _, s := range o.Sweeps {
		swept += s.Count()
	}
	return len(o.Targets), swept
}

// All yields every opening with its index, in plan order.
func (p *Plan) All() iter.Seq2[int, Opening] {
	return func(yield func(int, Opening) bool) {
		for i := range p.Len() {
			if !yield(i, p.At(i)) {
				return
			}
		}
	}
}

// Targets counts the probes of every opening that is not skipped, sweeps included.
func (p *Plan) Targets() int {
	n := 0
	for i := range p.Len() {
		targets, swept := p.Probes(i)
		n += targets + swept
	}
	return n
}

// maxSweepAddrs bounds --sweep: a range larger than this (a /16) is reported unverified, since
// dialing it would take longer than any firewall request is worth.
const maxSweepAddrs = 1 << 16

// BuildPlan turns a profile and the cluster facts into openings. Errors are bad input.
func (c *Catalog) BuildPlan(f Facts) (*Plan, error) {
	for _, g := range f.Skip {
		if !slices.Contains(GroupNames, g) {
			return nil, fieldError("skip", "%q is not a group (valid: %s)", g, quote.Trusted(strings.Join(GroupNames, ", ")))
		}
	}
	p := &Plan{Profile: f.Profile, Edition: c.Edition, Notes: append(slices.Clone(f.Notes), c.Notes...)}
	region, locs, err := c.resolveRegion(f, p)
	if err != nil {
		return nil, err
	}
	b := &builder{c: c, f: f, p: p, region: region, locs: locs}
	switch f.Profile {
	case Workstation:
		b.api()
		b.master()
		b.privateMaster()
		b.etcd()
		if region != nil {
			b.regionLocations()
		}
	case Worker:
		if region == nil {
			return nil, fieldError("region", "worker needs a region (one of %s), or a master URL whose IP the catalog lists", quote.Trusted(strings.Join(c.RegionNames(), ", ")))
		}
		b.regionLocations()
		b.workerMaster()
		b.registry()
		b.iam()
		b.service("monitoring", b.region.Monitoring.V, b.c.MonitoringDocs, 9095, "monitoring host")
		b.service("logging", b.region.Logging.V, b.c.LoggingDocs, 9091, "")
		b.private()
		b.pvc()
	case Inbound:
		if (len(f.NodeIPs) == 0) != (len(f.NodePorts) == 0) {
			return nil, fieldError("node-ip,nodeport", "worker IPs and NodePorts go together: give both")
		}
		if len(f.NodeIPs) == 0 && len(f.LoadBalancers) == 0 && len(f.Ingress) == 0 {
			return nil, fieldError("node-ip,lb,ingress", "inbound needs worker IPs with NodePorts, a LoadBalancer IP:PORT or an Ingress IP")
		}
		b.inbound()
	case Adhoc:
		if len(f.Probes) == 0 {
			return nil, errorf("probe needs at least one HOST:PORT or URL")
		}
		if err := b.adhoc(); err != nil {
			return nil, err
		}
	default:
		return nil, quote.Errorf("unknown profile %q", f.Profile)
	}
	for i := range p.openings {
		o := &p.openings[i]
		if slices.Contains(f.Skip, o.Group) {
			o.Skip = "left out by --skip " + o.Group
		}
	}
	return p, nil
}

// resolveRegion picks the region from --region, or from the master IP, and the locations.
func (c *Catalog) resolveRegion(f Facts, p *Plan) (*Region, []*Location, error) {
	var region *Region
	if f.Region != "" {
		r, err := c.RegionByName(f.Region)
		if err != nil {
			return nil, nil, &FieldError{Field: "region", Err: err}
		}
		region = r
	} else if f.Master.Addr.IsValid() {
		if r, l := c.LocateMaster(f.Master.Addr); r != nil {
			region = r
			where := ""
			if l != nil {
				where = fmt.Sprintf(" (location %s)", l.Name.V)
			}
			p.Notes = append(p.Notes, fmt.Sprintf("region %s inferred from the master IP %s%s", r.Name.V, f.Master.Addr, where))
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("the master IP %s is in no region of the catalog (edition %s, which may be out of date): pass --region", f.Master.Addr, c.Edition))
		}
	}
	if region == nil {
		if len(f.Locations) > 0 {
			return nil, nil, fieldError("location", "a location needs its region too")
		}
		return nil, nil, nil
	}
	p.Region = region.Name.V
	p.Notes = append(p.Notes, region.Notes...)
	if region.Regional() && len(f.Locations) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("edition %s lists master IPs per region, not per zone: the location narrows the zone ranges only, and every master IP of %s is checked", c.Edition, region.Name.V))
	}
	var locs []*Location
	for _, name := range f.Locations {
		l, err := region.LocationByName(name)
		if err != nil {
			return nil, nil, &FieldError{Field: "location", Err: otherEditionHint(err, c.Edition, region.Name.V, name)}
		}
		if !slices.Contains(locs, l) {
			locs = append(locs, l)
		}
	}
	if len(locs) == 0 {
		for i := range region.Locations {
			locs = append(locs, &region.Locations[i])
		}
	}
	return region, locs, nil
}

type builder struct {
	c      *Catalog
	f      Facts
	p      *Plan
	region *Region
	locs   []*Location
}

// opening starts an opening of group g with the group's catalog fields.
func (b *builder) opening(id, g string) *Opening {
	grp := b.c.Group(g)
	dir := "outbound"
	if grp.Section == "firewall_inbound" {
		dir = "inbound"
	}
	b.p.openings = append(b.p.openings, Opening{
		ID: id, Group: g, Section: grp.Section, Title: grp.Title, Reason: grp.Reason,
		Direction: dir, Protocol: grp.Protocol, Ports: grp.Ports.V, Required: requiredOpening(id, grp),
	})
	return &b.p.openings[len(b.p.openings)-1]
}

func (b *builder) api() {
	a := b.c.API
	o := b.opening("api", "api")
	o.Ports = strconv.Itoa(a.Port.V)
	o.Destinations = []string{a.Host.V}
	o.Targets = []probe.Target{{
		Host: a.Host.V, Port: uint16(a.Port.V), Check: probe.CheckHTTPS, Path: a.Path, Public: true,
		Expect: probe.Expect{Status: []int{200}, Body: a.Expect, JSONArray: a.ExpectJSON != "", JSONArrayKey: zoneKey(a.ExpectJSON)},
	}}
	for _, h := range b.c.CLIHosts {
		o.Destinations = append(o.Destinations, h.V)
		o.Targets = append(o.Targets, probe.Target{Host: h.V, Port: 443, Check: probe.CheckTLS, Public: true})
	}
}

// KubeVersion is what a Kubernetes API server's /version says as gitVersion: v1.7.4,
// v1.7.4-2+eb9172c211dc41, v1.30.2+IKS.
var KubeVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+_-]*)?$`)

// masterTarget is the page's `curl --insecure <master_URL>/version` check, verified against
// the cluster's CA whenever that is known.
func masterTarget(m HostPort, ca []byte) probe.Target {
	t := probe.Target{
		Host: m.Host, Addr: m.Addr, Port: m.Port, Check: probe.CheckHTTPS, Path: "/version",
		Expect: probe.Expect{Status: []int{200}, JSONKey: "gitVersion", JSONValue: KubeVersion}, Insecure: true,
	}
	if len(ca) > 0 {
		// CA material that holds no certificate verifies nothing: an empty pool, never the
		// insecure fallback (the kubeconfig loader already refuses such material as bad input).
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		t.RootCAs, t.Insecure = pool, false
	}
	return t
}

func (b *builder) master() {
	o := b.opening("master", "master")
	m := b.f.Master
	if m.Host == "" {
		o.Ports = b.c.MasterPorts.V
		o.Destinations = []string{masterPlaceholder}
		// The retired bx CLI only for the page that named it.
		how := "the Master URL of `bx cs cluster-get CLUSTER`"
		if b.c.Edition != DefaultEdition {
			how = "the public service endpoint URL of `ibmcloud ks cluster get --cluster CLUSTER`"
		}
		o.Targets = []probe.Target{{Check: probe.CheckNone,
			Note: "the master URL is unknown: pass --master-url (" + how + ")"}}
		return
	}
	o.Ports = strconv.Itoa(int(m.Port))
	o.Destinations = []string{m.Host}
	o.Targets = []probe.Target{masterTarget(m, b.f.MasterCA)}
}

// privateMaster is the private service endpoint the kubeconfig names beside the public one:
// reachable only over IBM Cloud's private network (a VPN, Direct Link), so a warning when
// closed, not a missing opening: the public endpoint is the workstation's way in.
func (b *builder) privateMaster() {
	m := b.f.PrivateMaster
	if m.Host == "" {
		return
	}
	o := b.opening("master-private", "master")
	o.Title += " (the private service endpoint)"
	o.Reason = "kubectl through the cluster's private service endpoint, which the kubeconfig names"
	o.Ports = strconv.Itoa(int(m.Port))
	o.Destinations = []string{m.Host}
	o.Targets = []probe.Target{masterTarget(m, b.f.PrivateMasterCA)}
}

// masterPlaceholder stands for the master's address in a rule until --master-url gives it.
const masterPlaceholder = "<your master IP: --master-url>"

func (b *builder) etcd() {
	o := b.opening("etcd", "etcd")
	if len(b.f.Etcd) == 0 {
		o.Destinations = []string{masterPlaceholder}
		if b.f.Master.Host != "" {
			o.Destinations = []string{b.f.Master.Host}
		}
		src := cmp.Or(b.c.EtcdSource, "etcd_endpoints of `kubectl get cm -n kube-system calico-config -o yaml`")
		note := "the etcd port is unknown: pass --etcd-endpoint HOST:PORT (" + src + ")"
		if b.f.EtcdNote != "" {
			note = b.f.EtcdNote + "; pass --etcd-endpoint HOST:PORT"
		}
		o.Targets = []probe.Target{{Check: probe.CheckNone, Note: note}}
		return
	}
	var ports []string
	for _, e := range b.f.Etcd {
		o.Destinations = appendNew(o.Destinations, e.Host)
		ports = appendNew(ports, strconv.Itoa(int(e.Port)))
		o.Targets = append(o.Targets, probe.Target{Host: e.Host, Addr: e.Addr, Port: e.Port, Check: probe.CheckTCP})
	}
	o.Ports = strings.Join(ports, ",")
}

// regionLocations adds one opening per location: TCP 443 to each of its master IPs; for a
// region whose table is not split by location, one opening: TCP 443 to every IP of it.
func (b *builder) regionLocations() {
	if r := b.region; r.Regional() {
		o := b.opening("region-"+r.Name.V, "region")
		o.Title = fmt.Sprintf("%s (%s)", o.Title, r.Title)
		for _, ip := range r.Master {
			o.Destinations = append(o.Destinations, ip.V)
			o.Targets = append(o.Targets, probe.Target{Host: ip.V, Addr: netip.MustParseAddr(ip.V), Port: 443, Check: probe.CheckTCP})
		}
		return
	}
	for _, l := range b.locs {
		o := b.opening(fmt.Sprintf("region-%s-%s", b.region.Name.V, l.Name.V), "region")
		o.Title = fmt.Sprintf("%s (%s %s)", o.Title, b.region.Title, l.Name.V)
		for _, ip := range l.Master {
			o.Destinations = append(o.Destinations, ip.V)
			a := netip.MustParseAddr(ip.V)
			o.Targets = append(o.Targets, probe.Target{Host: ip.V, Addr: a, Port: 443, Check: probe.CheckTCP})
		}
	}
}

// workerMaster is TCP/UDP 20000-32767 to every master IP of the region. Only the master URL's
// port on the master IP has a listener to prove; the rest of the range is unverified.
func (b *builder) workerMaster() {
	o := b.opening("master-"+b.region.Name.V, "master")
	o.Section = "firewall_outbound"
	o.Title = "worker nodes to the cluster master ports of the region"
	o.Reason = "workers reach the master on ports 20000-32767 (TCP and UDP) at the master IPs of every location"
	o.Protocol = "tcp,udp"
	o.Ports = b.c.MasterPorts.V
	o.Destinations = b.region.MasterIPs()
	if m := b.f.Master; m.Host != "" {
		o.Targets = append(o.Targets, masterTarget(m, b.f.MasterCA))
		if b.region.Regional() {
			o.Reason = fmt.Sprintf("workers reach the master on TCP and UDP %s at every IP of the region's table", o.Ports)
			// The master's own port has a listener at the region's master IPs.
			for _, ip := range b.region.Master {
				o.Targets = append(o.Targets, probe.Target{Host: ip.V, Addr: netip.MustParseAddr(ip.V), Port: m.Port, Check: probe.CheckTCP})
			}
		}
	}
	// The etcd port is in the range too, with a listener: calicoctl's, on the master IP (read
	// through the API with the DaemonSet's service account, or --etcd-endpoint).
	for _, e := range b.f.Etcd {
		o.Targets = append(o.Targets, probe.Target{Host: e.Host, Addr: e.Addr, Port: e.Port, Check: probe.CheckTCP})
	}
	if b.region.Regional() {
		o.Ports = "443," + o.Ports // the page's rule: TCP and UDP 443 and the master ports
	}
	note := fmt.Sprintf("ports %s (TCP and UDP) on %d master IPs: no listener is known on them, so no probe can prove them", o.Ports, len(o.Destinations))
	if b.f.Master.Host == "" {
		note += "; pass --master-url to prove the master's own port"
	}
	if b.f.EtcdNote != "" && len(b.f.Etcd) == 0 {
		note += "; " + b.f.EtcdNote
	}
	o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone, Note: note})
}

// hostTargets dials a service host: at its documented IPs when the page gives single IPs,
// otherwise at every address its name resolves to.
func (b *builder) hostTargets(o *Opening, host string, port uint16, check probe.Check, path string, expect probe.Expect) {
	h := b.c.Host(host)
	o.Destinations = appendNew(o.Destinations, host)
	t := probe.Target{Host: host, Port: port, Check: check, Path: path, Expect: expect, Public: true}
	ips := h.SingleIPs()
	if len(ips) == 0 {
		o.Documented = appendPrefixes(o.Documented, h.Prefixes())
		o.Targets = append(o.Targets, t)
		return
	}
	for _, ip := range ips {
		t.Addr = ip
		o.Targets = append(o.Targets, t)
	}
}

func appendPrefixes(list, add []netip.Prefix) []netip.Prefix {
	for _, p := range add {
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	return list
}

func (b *builder) hostDestinations(o *Opening, host string) {
	for _, p := range b.c.Host(host).Prefixes() {
		o.Destinations = appendNew(o.Destinations, prefixString(p))
	}
}

// registryExpect: the registry API answers /v2/ with 401 to an anonymous client, 200 when open.
var registryExpect = probe.Expect{Status: []int{200, 401}}

func (b *builder) registry() {
	if len(b.region.Registries) > 0 {
		// The page links to the Registry docs; the names are dialed as they resolve.
		o := b.opening("registry-global", "registry")
		b.hostTargets(o, b.c.RegistryGlobal.V, 443, probe.CheckHTTPS, "/v2/", registryExpect)
		o = b.opening("registry-"+b.region.Name.V, "registry")
		for _, h := range b.region.Registries {
			b.hostTargets(o, h.V, 443, probe.CheckHTTPS, "/v2/", registryExpect)
		}
		return
	}
	for _, r := range []struct{ id, host string }{
		{"registry-global", b.c.RegistryGlobal.V},
		{"registry-" + b.region.Name.V, b.region.Registry.V},
	} {
		o := b.opening(r.id, "registry")
		b.hostTargets(o, r.host, 443, probe.CheckHTTPS, "/v2/", registryExpect)
		b.hostDestinations(o, r.host)
	}
}

// iam: IAM has no fixed IPs (a layer-7 allowlist); its hosts are dialed as they resolve.
func (b *builder) iam() {
	if len(b.c.IAM) == 0 {
		return
	}
	o := b.opening("iam", "iam")
	for _, h := range b.c.IAM {
		b.hostTargets(o, h.V, 443, probe.CheckTLS, "", probe.Expect{})
	}
}

// undocumented is an opening the page asks for but gives no address for: unverified, with a
// note saying where the addresses are.
func (b *builder) undocumented(group, docs string) {
	o := b.opening(group+"-"+b.region.Name.V, group)
	// The destination names the page to read it from, so that a rule never reads "to <see the
	// docs>": "<the Cloud Logs addresses in https://cloud.ibm.com/docs/cloud-logs?topic=...>".
	where, _, _ := strings.Cut(docs, " (")
	where = strings.ReplaceAll(where, " /docs/", " https://cloud.ibm.com/docs/")
	o.Destinations = []string{"<" + strings.ReplaceAll(where, "of the region", "of "+b.region.Name.V) + ">"}
	o.Targets = []probe.Target{{Check: probe.CheckNone, Note: "the page gives no address: open " + docs}}
}

// service is the opening to a region's monitoring or logging host: TLS on 443 and TCP on its
// ingestion port. With no host, it points at docs where the edition has them, or notes the gap
// (missingNote names what the page lacks; "" to say nothing).
func (b *builder) service(group, host, docs string, port uint16, missingNote string) {
	switch {
	case host == "" && docs != "":
		b.undocumented(group, docs)
	case host == "" && missingNote != "":
		b.p.Notes = append(b.p.Notes, fmt.Sprintf("the page lists no %s for %s", missingNote, b.region.Title))
	case host != "":
		o := b.opening(group+"-"+b.region.Name.V, group)
		b.hostTargets(o, host, 443, probe.CheckTLS, "", probe.Expect{})
		b.hostTargets(o, host, port, probe.CheckTCP, "", probe.Expect{})
		b.hostDestinations(o, host)
	}
}

// rangeTargets proves ranges with no known live address: unverified, or with --sweep one TCP
// connect per address and port.
func (b *builder) rangeTargets(o *Opening, ranges []string) {
	ports, any, _ := ParsePorts(o.Ports)
	o.Destinations = append(o.Destinations, ranges...)
	for _, r := range ranges {
		pfx, _ := parseAddrOrPrefix(r)
		size := 1 << min(pfx.Addr().BitLen()-pfx.Bits(), 30)
		switch {
		case !b.f.Sweep:
			o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone, Range: pfx,
				Note: fmt.Sprintf("%s has no known live address to dial (--sweep dials every address)", r)})
		case any:
			o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone, Range: pfx,
				Note: fmt.Sprintf("%s: the page names no port, so --sweep cannot prove it", r)})
		case size > maxSweepAddrs:
			o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone, Range: pfx,
				Note: fmt.Sprintf("%s has %d addresses, more than --sweep dials (%d)", r, size, maxSweepAddrs)})
		default:
			s := Sweep{Range: pfx.Masked()}
			for _, pr := range ports {
				for port := int(pr.Lo); port <= int(pr.Hi); port++ {
					s.Ports = append(s.Ports, uint16(port))
				}
			}
			o.Sweeps = append(o.Sweeps, s)
		}
	}
}

func (b *builder) private() {
	o := b.opening("private-"+b.region.Name.V, "private")
	var ranges []string
	for _, l := range b.locs {
		ranges = appendNew(ranges, values(l.Backend)...)
	}
	for _, dc := range b.c.PrivateAlways {
		ranges = appendNew(ranges, values(b.c.Place(dc.V).Backend)...)
	}
	ranges = appendNew(ranges, values(b.c.ServiceNetwork)...)
	b.rangeTargets(o, ranges)
	b.privateMasters(o)
	for _, h := range []string{b.region.PrivateRegistry.V, b.c.PrivateRegistryGlobal.V} {
		if h != "" {
			b.hostTargets(o, h, 443, probe.CheckHTTPS, "/v2/", registryExpect)
		}
	}
	skip := ""
	if !b.f.Private {
		skip = "pass --private to check the private network (a private firewall)"
	}
	o.Skip = skip
	if p := b.c.PrivateInbound.V; p != "" {
		in := b.opening("private-inbound-"+b.region.Name.V, "private")
		in.Title = "the private network to the workers' kubelet"
		in.Reason = "the dashboard, kubectl logs and exec reach the kubelet on the workers' private IPs"
		in.Direction, in.Ports, in.Destinations = "inbound", p, []string{"<the workers' private IPs>"}
		in.Targets = []probe.Target{{Check: probe.CheckNone, Note: "inbound to this worker from the private network: no probe from the worker can prove it"}}
		in.Skip = skip
	}
}

// privateMasters adds the region's private master table: TCP 443 and the master port to each
// IP, or, for a region the page's table has no row for, an unverified target saying so.
func (b *builder) privateMasters(o *Opening) {
	r := b.region
	if !r.Regional() {
		return
	}
	if len(r.MasterPrivate) == 0 {
		o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone,
			Note: fmt.Sprintf("the page's private master table has no row for %s: not guessed", r.Title)})
		return
	}
	ports := []uint16{443}
	if m := b.f.Master.Port; m != 0 {
		ports = append(ports, m)
	}
	for _, ip := range r.MasterPrivate {
		o.Destinations = appendNew(o.Destinations, ip.V)
		for _, port := range ports {
			o.Targets = append(o.Targets, probe.Target{Host: ip.V, Addr: netip.MustParseAddr(ip.V), Port: port, Check: probe.CheckTCP})
		}
	}
}

func (b *builder) pvc() {
	o := b.opening("pvc-"+b.region.Name.V, "pvc")
	var ranges []string
	for _, l := range b.locs {
		ranges = appendNew(ranges, values(l.Frontend)...)
		ranges = appendNew(ranges, values(l.Backend)...)
	}
	if !b.region.Regional() {
		for _, dc := range b.c.PrivateAlways {
			ranges = appendNew(ranges, values(b.c.Place(dc.V).Backend)...)
		}
	}
	b.rangeTargets(o, ranges)
	if b.region.Regional() {
		o.Targets = append(o.Targets, probe.Target{Check: probe.CheckNone,
			Note: "all egress TCP 443, as the page asks without private-network storage plug-ins: no probe can prove \"all\""})
	}
	if !b.f.PVC {
		o.Skip = "pass --pvc to check the storage ranges for persistent volume claims"
	}
}

func (b *builder) inbound() {
	for _, port := range b.f.NodePorts {
		o := b.opening(fmt.Sprintf("nodeport-%d", port), "nodeport")
		o.Ports = strconv.Itoa(int(port))
		for _, n := range b.f.NodeIPs {
			o.Destinations = appendNew(o.Destinations, n.Host)
			o.Targets = append(o.Targets, probe.Target{Host: n.Host, Addr: n.Addr, Port: port, Check: probe.CheckTCP})
		}
	}
	for _, lb := range b.f.LoadBalancers {
		o := b.opening("loadbalancer-"+lb.String(), "loadbalancer")
		o.Ports = strconv.Itoa(int(lb.Port))
		o.Destinations = []string{lb.Host}
		o.Targets = []probe.Target{{Host: lb.Host, Addr: lb.Addr, Port: lb.Port, Check: probe.CheckTCP}}
	}
	var ingress []string
	for _, in := range b.f.Ingress {
		o := b.opening("ingress-"+in.Host, "ingress")
		o.Destinations = []string{in.Host}
		ingress = append(ingress, in.Host)
		for _, port := range []uint16{80, 443} {
			o.Targets = append(o.Targets, probe.Target{Host: in.Host, Addr: in.Addr, Port: port, Check: probe.CheckTCP})
		}
	}
	if len(ingress) > 0 {
		for _, m := range b.c.IngressMonitors {
			b.p.Allow = append(b.p.Allow, Allowance{Name: m.Name, Protocol: "tcp", Ports: m.Ports.V, Sources: values(m.Sources),
				Destinations: ingress, Reason: "the Ingress subdomain's health checks come from these sources (80 if the monitor uses HTTP)"})
		}
	}
}

// adhoc checks that every target parses; the plan keeps them as text (At makes the openings).
func (b *builder) adhoc() error {
	for _, s := range b.f.Probes {
		if _, err := ParseProbeTarget(s); err != nil {
			return err
		}
	}
	b.p.adhoc = b.f.Probes
	return nil
}

// requiredOpening is whether an opening fails the run when missing: its group's word in the
// catalog, except the private service endpoint, reachable only over IBM Cloud's private
// network (the public endpoint is the workstation's way in).
func requiredOpening(id string, g *Group) bool {
	return g.Required && id != "master-private"
}

// Required says whether the opening id of group fails the run when missing, as a plan of
// this catalog decides it; ok is false for a group the catalog does not have. `fwcheck merge`
// asks it, rather than believing what a report says of itself.
func (c *Catalog) Required(id, group string) (required, ok bool) {
	if group == adhocGroup {
		return true, true // every target named on the command line
	}
	g := c.Group(group)
	if g == nil {
		return false, false
	}
	return requiredOpening(id, g), true
}

// adhocGroup is the group of the targets of `fwcheck probe`.
const adhocGroup = "probe"

// adhocOpening is the opening of the i-th target of `fwcheck probe`.
func adhocOpening(i int, t probe.Target) Opening {
	return Opening{
		ID: "probe-" + strconv.Itoa(i+1), Group: adhocGroup, Section: "adhoc",
		Title: t.Description() + " " + t.HostPort(), Reason: "named on the command line",
		Direction: "outbound", Protocol: t.Network(), Ports: strconv.Itoa(int(t.Port)),
		Destinations: []string{t.Host}, Required: true, Targets: []probe.Target{t},
	}
}

func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// zoneKey is the key every object of a "zones" list must carry as a string: each zone of
// containers.cloud.ibm.com/v1/zones is an object with its id (dal10, fra02, ...).
func zoneKey(expectJSON string) string {
	if expectJSON == "zones" {
		return "id"
	}
	return ""
}
