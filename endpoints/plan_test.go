package endpoints

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/probe"
)

func mustPlan(t *testing.T, f Facts) *Plan {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.BuildPlan(f)
	if err != nil {
		t.Fatalf("BuildPlan: %v", err)
	}
	return p
}

func ids(p *Plan) []string {
	var out []string
	for _, o := range p.All() {
		out = append(out, o.ID)
	}
	return out
}

func opening(t *testing.T, p *Plan, id string) Opening {
	t.Helper()
	for _, o := range p.All() {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("no opening %q in %v", id, ids(p))
	return Opening{}
}

func TestWorkerPlan(t *testing.T) {
	master, _ := ParseMasterURL("https://169.46.7.238:31142")
	p := mustPlan(t, Facts{Profile: Worker, Master: master, Private: true})
	if p.Region != "us-south" || !strings.Contains(strings.Join(p.Notes, " "), "inferred from the master IP 169.46.7.238") {
		t.Errorf("region = %q, notes = %q", p.Region, p.Notes)
	}
	want := []string{"region-us-south-dal10", "region-us-south-dal12", "region-us-south-dal13", "region-us-south-hou02",
		"region-us-south-sao01", "master-us-south", "registry-global", "registry-us-south", "monitoring-us-south",
		"logging-us-south", "private-us-south", "pvc-us-south"}
	if got := ids(p); !slices.Equal(got, want) {
		t.Fatalf("openings = %v\nwant %v", got, want)
	}
	dal10 := opening(t, p, "region-us-south-dal10")
	if len(dal10.Targets) != 2 || dal10.Targets[1].Addr.String() != "169.46.7.238" || dal10.Targets[1].Port != 443 {
		t.Errorf("dal10 targets = %+v", dal10.Targets)
	}
	m := opening(t, p, "master-us-south")
	if m.Targets[0].Port != 31142 || m.Targets[0].Check != probe.CheckHTTPS || m.Targets[1].Check != probe.CheckNone {
		t.Errorf("master targets = %+v", m.Targets)
	}
	reg := opening(t, p, "registry-us-south")
	if reg.Targets[0].Host != "registry.ng.bluemix.net" || reg.Targets[0].Addr.IsValid() || len(reg.Documented) != 3 {
		t.Errorf("registry: a CIDR-only host is resolved and checked against its ranges: %+v", reg)
	}
	logging := opening(t, p, "logging-us-south")
	if len(logging.Targets) != 4 || logging.Targets[0].Addr.String() != "169.48.79.236" || logging.Targets[0].Name() != "ingest.logging.ng.bluemix.net" || logging.Required {
		t.Errorf("logging: documented IPs are dialed with the name as SNI, optional: %+v", logging)
	}
	priv := opening(t, p, "private-us-south")
	if priv.Skip != "" || !slices.Contains(priv.Destinations, "10.0.64.0/19") || !slices.Contains(priv.Destinations, "161.26.0.0/16") {
		t.Errorf("private: dal01 and the service network belong in it: %+v", priv.Destinations)
	}
	if pvc := opening(t, p, "pvc-us-south"); pvc.Skip == "" {
		t.Error("pvc was not asked for and must be skipped")
	}
}

func TestWorkerLocationsAndSkip(t *testing.T) {
	p := mustPlan(t, Facts{Profile: Worker, Region: "US South", Locations: []string{"dal12"}, Skip: []string{"monitoring"}, PVC: true})
	var regionIDs []string
	for _, o := range p.All() {
		if o.Group == "region" {
			regionIDs = append(regionIDs, o.ID)
		}
		if o.Group == "monitoring" && o.Skip == "" {
			t.Error("--skip monitoring did not skip it")
		}
	}
	if !slices.Equal(regionIDs, []string{"region-us-south-dal12"}) {
		t.Errorf("--location dal12 gave %v", regionIDs)
	}
	pvc := opening(t, p, "pvc-us-south")
	if !slices.Equal(pvc.Destinations, []string{"169.47.118.0/23", "10.200.112.0/20", "10.0.64.0/19"}) {
		t.Errorf("pvc destinations = %v", pvc.Destinations)
	}
}

func TestSweepTargets(t *testing.T) {
	c, _ := Embedded()
	p, err := c.BuildPlan(Facts{Profile: Worker, Region: "us-south", Locations: []string{"dal13"}, PVC: true, Private: true, Sweep: true})
	if err != nil {
		t.Fatal(err)
	}
	priv := opening(t, p, "private-us-south")
	// dal13's /20 on two ports is swept, lazily: the plan holds the range, never its
	// addresses; 161.26.0.0/16 is larger than a sweep dials.
	for _, tg := range priv.Targets {
		if tg.Check != probe.CheckNone {
			t.Errorf("a swept range was expanded into the plan: %+v", tg)
		}
	}
	var sw *Sweep
	for i := range priv.Sweeps {
		if priv.Sweeps[i].Range.String() == "10.200.128.0/20" {
			sw = &priv.Sweeps[i]
		}
	}
	if sw == nil || sw.Count() != 2*4096 {
		t.Fatalf("sweeps = %+v; want 10.200.128.0/20 on 80,443 (8192 probes)", priv.Sweeps)
	}
	for _, tc := range []struct {
		i    int
		addr string
		port uint16
	}{{0, "10.200.128.0", 80}, {1, "10.200.128.0", 443}, {2, "10.200.128.1", 80}, {513, "10.200.129.0", 443}, {8191, "10.200.143.255", 443}} {
		tg := sw.Target(tc.i)
		if tg.Addr.String() != tc.addr || tg.Port != tc.port || tg.Range != sw.Range || tg.Check != probe.CheckTCP {
			t.Errorf("Target(%d) = %s:%d; want %s:%d", tc.i, tg.Addr, tg.Port, tc.addr, tc.port)
		}
	}
	v6 := Sweep{Range: netip.MustParsePrefix("2001:db8::ff00/120"), Ports: []uint16{443}}
	if got := v6.Target(255).Addr.String(); got != "2001:db8::ffff" || v6.Count() != 256 {
		t.Errorf("IPv6 sweep: Target(255) = %s, Count %d", got, v6.Count())
	}
}

// TestSweepPlanIsCheap: planning every sweep of a region holds no per-address target, so a
// dry run of the largest plan is instant and small (it took minutes when sweeps were expanded).
func TestSweepPlanIsCheap(t *testing.T) {
	c, _ := Embedded()
	p, err := c.BuildPlan(Facts{Profile: Worker, Region: "us-south", PVC: true, Private: true, Sweep: true})
	if err != nil {
		t.Fatal(err)
	}
	held, planned := 0, p.Targets()
	for _, o := range p.All() {
		held += len(o.Targets)
	}
	if held > 200 || planned < 100_000 {
		t.Errorf("plan holds %d targets for %d planned probes; want a few, for many", held, planned)
	}
}

func TestWorkstationPlan(t *testing.T) {
	p := mustPlan(t, Facts{Profile: Workstation})
	if got := ids(p); !slices.Equal(got, []string{"api", "master", "etcd"}) {
		t.Fatalf("openings = %v", got)
	}
	api := opening(t, p, "api")
	if tg := api.Targets[0]; tg.Host != "containers.bluemix.net" || tg.Path != "/v1/" || tg.Expect.Body == "" {
		t.Errorf("api target = %+v", tg)
	}
	if m := opening(t, p, "master"); m.Targets[0].Check != probe.CheckNone || !strings.Contains(m.Targets[0].Note, "--master-url") {
		t.Errorf("without a master URL the master opening names the flag: %+v", m.Targets)
	}
	etcd, _ := ParseEtcdEndpoints("https://169.46.7.238:31234,169.46.7.238:31235")
	master, _ := ParseMasterURL("https://169.46.7.238:31142")
	p = mustPlan(t, Facts{Profile: Workstation, Master: master, Etcd: etcd, Region: "us-south"})
	if e := opening(t, p, "etcd"); len(e.Targets) != 2 || e.Ports != "31234,31235" {
		t.Errorf("etcd = %+v", e)
	}
	if p.Len() != 3+5 {
		t.Errorf("--region adds the region's locations: %v", ids(p))
	}
}

func TestPlanErrors(t *testing.T) {
	c, _ := Embedded()
	cases := []struct {
		f    Facts
		want string
	}{
		{Facts{Profile: Worker}, "region: worker needs a region"},
		{Facts{Profile: Worker, Region: "mars"}, `region: unknown region "mars"`},
		{Facts{Profile: Worker, Region: "dal10"}, `dal10 is a location of us-south`},
		{Facts{Profile: Worker, Region: "us-south", Locations: []string{"lon02"}}, `unknown location "lon02" in region us-south`},
		{Facts{Profile: Worker, Region: "us-south", Skip: []string{"dns"}}, `skip: "dns" is not a group (valid: api, master, etcd, region, registry, iam, monitoring, logging, private, pvc, nodeport, loadbalancer, ingress)`},
		{Facts{Profile: Inbound}, "inbound needs"},
		{Facts{Profile: Inbound, NodePorts: []uint16{30080}}, "node-ip, nodeport: worker IPs and NodePorts go together"},
		{Facts{Profile: Adhoc}, "probe needs at least one"},
		{Facts{Profile: Workstation, Locations: []string{"dal10"}}, "location: a location needs its region too"},
	}
	for _, tc := range cases {
		_, err := c.BuildPlan(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("BuildPlan(%+v) = %v; want %q", tc.f, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "--") {
			t.Errorf("BuildPlan(%+v) = %v: endpoints names no flag; the CLI does", tc.f, err)
		}
	}
}

func TestMasterOutsideCatalog(t *testing.T) {
	master, _ := ParseMasterURL("https://198.51.100.7:31142")
	p := mustPlan(t, Facts{Profile: Workstation, Master: master})
	if p.Region != "" || !strings.Contains(strings.Join(p.Notes, " "), "in no region of the catalog") {
		t.Errorf("region = %q, notes = %q", p.Region, p.Notes)
	}
}
