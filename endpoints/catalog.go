// Package endpoints turns the firewall page, held as an embedded catalog, and the facts of one
// cluster into the openings to check and the probe targets that prove them. It never dials.
package endpoints

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/fwcheck/fwcheck/internal/quote"
)

//go:embed catalog.yaml
var embeddedCatalog []byte

//go:embed catalog-2025-07-08.yaml
var embeddedCatalog2025 []byte

// EmbeddedName is how the embedded catalog is named in errors and reports.
const EmbeddedName = "embedded catalog"

// The embedded editions: the 2018 page the project is built on (the default) and the current
// page. CurrentEdition is what --edition current means.
const (
	DefaultEdition = "2018-04-18"
	CurrentEdition = "2025-07-08"
)

// Editions lists the embedded editions, oldest first.
func Editions() []string { return []string{DefaultEdition, CurrentEdition} }

// Catalog is the firewall page as data: groups of openings, the service hosts with their
// documented addresses, and the regions with their locations.
type Catalog struct {
	Edition        string        `yaml:"edition"`
	Source         string        `yaml:"source"`
	Groups         []Group       `yaml:"groups"`
	API            APIEndpoint   `yaml:"api"`
	MasterPorts    Pos[string]   `yaml:"master_ports"`
	RegistryGlobal Pos[string]   `yaml:"registry_global"`
	PrivateAlways  []Pos[string] `yaml:"private_always"`
	ServiceNetwork []Pos[string] `yaml:"service_network"`
	Hosts          []Host        `yaml:"hosts"`
	Regions        []Region      `yaml:"regions"`
	Datacenters    []Location    `yaml:"datacenters"`

	// Since the 2025-07-08 edition (all optional):
	// Notes are facts about the edition the report carries (what is unsure, and why).
	Notes []string `yaml:"notes"`
	// CLIHosts are more hosts the CLI calls on 443 (cloud.ibm.com).
	CLIHosts []Pos[string] `yaml:"cli_hosts"`
	// IAM are the IAM hosts workers call (the iam group).
	IAM []Pos[string] `yaml:"iam"`
	// MonitoringDocs and LoggingDocs say where the addresses are when the page gives none.
	MonitoringDocs string `yaml:"monitoring_docs"`
	LoggingDocs    string `yaml:"logging_docs"`
	// EtcdSource says where the etcd port is read (default: calico-config's etcd_endpoints).
	EtcdSource string `yaml:"etcd_source"`
	// PrivateInbound are ports the private firewall must let in to the workers (kubelet).
	PrivateInbound Pos[string] `yaml:"private_inbound"`
	// PrivateRegistryGlobal is the global registry's private name (a host with its IPs).
	PrivateRegistryGlobal Pos[string] `yaml:"private_registry_global"`
	// IngressMonitors are sources that must reach the Ingress health checks: allowances
	// from outside that no probe can make, listed apart.
	IngressMonitors []Monitor `yaml:"ingress_monitors"`

	// Name is the file the catalog came from (EmbeddedName for the embedded one).
	Name string `yaml:"-"`
	// Raw is the text it was parsed from; catalog export writes it back unchanged.
	Raw []byte `yaml:"-"`

	groups  map[string]*Group
	hosts   map[string]*Host
	regions map[string]*Region
	places  map[string]*Location // locations and data centers by name
}

// Group is one kind of opening (api, master, region, ...): where the page asks for it, why,
// and whether it is required.
type Group struct {
	Name     Pos[string] `yaml:"name"`
	Section  string      `yaml:"section"`
	Title    string      `yaml:"title"`
	Reason   string      `yaml:"reason"`
	Required bool        `yaml:"required"`
	Protocol string      `yaml:"protocol"`
	Ports    Pos[string] `yaml:"ports"`
	Line     int         `yaml:"-"`
}

// APIEndpoint is the host the bx CLI calls and the check the page gives for it.
type APIEndpoint struct {
	Host   Pos[string] `yaml:"host"`
	Port   Pos[int]    `yaml:"port"`
	Path   string      `yaml:"path"`
	Expect string      `yaml:"expect"`
	// ExpectJSON "list": the answer must be a non-empty JSON array; "zones": of zone objects,
	// each with a string id (containers.cloud.ibm.com/v1/zones).
	ExpectJSON string `yaml:"expect_json"`
}

// Monitor is a list of sources that must reach an inbound service (Ingress health checks).
type Monitor struct {
	Name    string        `yaml:"name"`
	Ports   Pos[string]   `yaml:"ports"`
	Sources []Pos[string] `yaml:"sources"`
	Line    int           `yaml:"-"`
}

func (m *Monitor) UnmarshalYAML(n *yaml.Node) error {
	type plain Monitor
	m.Line = n.Line
	return decodeStrict(n, (*plain)(m))
}

// Host is a service host name with the addresses and ranges the page documents for it.
type Host struct {
	Name      Pos[string]   `yaml:"name"`
	Addresses []Pos[string] `yaml:"addresses"`
	Line      int           `yaml:"-"`

	prefixes []netip.Prefix
}

// Region is a container region with its service hosts and locations.
type Region struct {
	Name       Pos[string] `yaml:"name"`
	Title      string      `yaml:"title"`
	Registry   Pos[string] `yaml:"registry"`
	Monitoring Pos[string] `yaml:"monitoring"`
	Logging    Pos[string] `yaml:"logging"`
	Locations  []Location  `yaml:"locations"`
	Line       int         `yaml:"-"`

	// Since the 2025-07-08 edition (all optional):
	// Aliases are other names of the region (the 2018 name, the table title).
	Aliases []string `yaml:"aliases"`
	// Registries are the region's public registry names (no documented addresses).
	Registries []Pos[string] `yaml:"registries"`
	// PrivateRegistry is the region's private registry name, a host with its IPs.
	PrivateRegistry Pos[string] `yaml:"private_registry"`
	// Master and MasterPrivate are the region's master IPs when the page lists them per
	// region, not per location: --location cannot narrow them.
	Master        []Pos[string] `yaml:"master"`
	MasterPrivate []Pos[string] `yaml:"master_private"`
	// Notes are facts about the region the report carries.
	Notes []string `yaml:"notes"`
}

// Regional reports whether the region's master IPs are listed per region (2025) rather than
// per location (2018).
func (r *Region) Regional() bool { return len(r.Master) > 0 }

// Location is a data center: its master IPs (container locations only), its front-end
// (public) ranges and its back-end service-network ranges.
type Location struct {
	Name     Pos[string]   `yaml:"name"`
	Master   []Pos[string] `yaml:"master"`
	Frontend []Pos[string] `yaml:"frontend"`
	Backend  []Pos[string] `yaml:"backend"`
	Line     int           `yaml:"-"`

	// Region is the region's name, empty for a data center outside every region.
	Region string `yaml:"-"`
}

// Pos is a scalar value together with the line it was read from, so that validation errors
// can name file:line.
type Pos[T any] struct {
	V    T
	Line int
}

// UnmarshalYAML records the line of the scalar.
func (p *Pos[T]) UnmarshalYAML(n *yaml.Node) error {
	p.Line = n.Line
	return n.Decode(&p.V)
}

// MarshalYAML writes the bare value.
func (p Pos[T]) MarshalYAML() (any, error) { return p.V, nil }

func (g *Group) UnmarshalYAML(n *yaml.Node) error {
	type plain Group
	g.Line = n.Line
	return decodeStrict(n, (*plain)(g))
}

func (h *Host) UnmarshalYAML(n *yaml.Node) error {
	type plain Host
	h.Line = n.Line
	return decodeStrict(n, (*plain)(h))
}

func (r *Region) UnmarshalYAML(n *yaml.Node) error {
	type plain Region
	r.Line = n.Line
	return decodeStrict(n, (*plain)(r))
}

func (l *Location) UnmarshalYAML(n *yaml.Node) error {
	type plain Location
	l.Line = n.Line
	return decodeStrict(n, (*plain)(l))
}

// decodeStrict decodes a mapping node and rejects keys the target does not have:
// Node.Decode alone does not carry the decoder's KnownFields setting down.
func decodeStrict(n *yaml.Node, v any) error {
	var unknown []string
	if n.Kind == yaml.MappingNode {
		known := yamlKeys(reflect.TypeOf(v).Elem())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !known[k.Value] {
				unknown = append(unknown, fmt.Sprintf("line %d: unknown field %s", k.Line, quote.Value(k.Value)))
			}
		}
	}
	err := n.Decode(v)
	var te *yaml.TypeError
	switch {
	case err == nil && len(unknown) == 0:
		return nil
	case err == nil:
		return &yaml.TypeError{Errors: unknown}
	case errors.As(err, &te):
		return &yaml.TypeError{Errors: append(unknown, te.Errors...)}
	default:
		return err
	}
}

// yamlKeys lists the yaml keys of a struct type.
func yamlKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}

// Problem is one thing wrong in a catalog file, at a line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// ValidationError lists every problem found in a catalog.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].String()
	}
	return fmt.Sprintf("%s (and %d more problems: fwcheck catalog validate %s lists them)",
		e.Problems[0], len(e.Problems)-1, e.Problems[0].File)
}

var loadEmbedded = sync.OnceValues(func() (*Catalog, error) {
	return Parse(EmbeddedName, embeddedCatalog)
})

var loadEmbedded2025 = sync.OnceValues(func() (*Catalog, error) {
	return Parse(EmbeddedName+" "+CurrentEdition, embeddedCatalog2025)
})

// Embedded returns the default catalog compiled into the binary, parsed once.
func Embedded() (*Catalog, error) { return loadEmbedded() }

// EmbeddedEdition returns the embedded catalog of an edition: a date of Editions(), or
// "current" for the newest.
func EmbeddedEdition(edition string) (*Catalog, error) {
	switch strings.ToLower(strings.TrimSpace(edition)) {
	case "", DefaultEdition:
		return loadEmbedded()
	case CurrentEdition, "current":
		return loadEmbedded2025()
	}
	return nil, &FieldError{Field: "edition", Err: errorf("unknown edition %q (valid: %s, current)", edition, quote.Trusted(strings.Join(Editions(), ", ")))}
}

// Parse reads and validates a catalog. A *ValidationError lists every problem with its line.
func Parse(name string, data []byte) (*Catalog, error) {
	c := &Catalog{Name: name, Raw: data}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, &ValidationError{Problems: yamlProblems(name, err)}
	}
	if probs := c.validate(); len(probs) > 0 {
		// By line; problems of the whole file (line 0) last.
		key := func(p Problem) int {
			if p.Line == 0 {
				return 1 << 30
			}
			return p.Line
		}
		sort.SliceStable(probs, func(i, j int) bool { return key(probs[i]) < key(probs[j]) })
		return nil, &ValidationError{Problems: probs}
	}
	return c, nil
}

// yamlProblems turns a yaml decode error into problems with lines.
func yamlProblems(name string, err error) []Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out []Problem
		for _, msg := range te.Errors {
			out = append(out, lineProblem(name, msg))
		}
		return out
	}
	if err.Error() == "EOF" {
		return []Problem{{File: name, Msg: "empty catalog"}}
	}
	return []Problem{lineProblem(name, strings.TrimPrefix(err.Error(), "yaml: "))}
}

// lineProblem splits yaml's "line N: msg" form.
func lineProblem(name, msg string) Problem {
	var line int
	if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
		if i := strings.Index(msg, ":"); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
	}
	return Problem{File: name, Line: line, Msg: msg}
}
