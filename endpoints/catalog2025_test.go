package endpoints

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// factsSection returns the text of FACTS.md from a heading to the next heading of its level.
func factsSection(t *testing.T, facts, heading string) string {
	t.Helper()
	i := strings.Index(facts, heading)
	if i < 0 {
		t.Fatalf("FACTS.md has no %q", heading)
	}
	rest := facts[i+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// tableRows returns the cells of the rows of the n-th table in a section.
func tableRows(section string, n int) [][]string {
	var tables [][][]string
	var cur [][]string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "|") {
			cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			cur = append(cur, cells)
		} else if cur != nil {
			tables, cur = append(tables, cur), nil
		}
	}
	if cur != nil {
		tables = append(tables, cur)
	}
	return tables[n][2:]
}

var addrToken = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b`)

// TestEmbeddedCatalog2025 is the guard of the current edition: every IP, CIDR and host name
// FACTS.md section 3 lists as current is in it (the public and private master tables, the
// private registries after 2022-07-05, the private ranges, the Ingress monitoring lists, the
// hosts of 3.1 and 3.3), and the header records its sources.
func TestEmbeddedCatalog2025(t *testing.T) {
	c, err := EmbeddedEdition("current")
	if err != nil {
		t.Fatal(err)
	}
	if c.Edition != CurrentEdition || len(c.Regions) != 10 {
		t.Fatalf("edition %q with %d regions", c.Edition, len(c.Regions))
	}
	text := string(c.Raw)
	for _, s := range []string{"S10", "1354cd8ac2ebfd16886db9890dfee288c6f4a497", "S12", "S13", "S14", "S9", "09949dd"} {
		if !strings.Contains(text, s) {
			t.Errorf("the header does not record the source %s", s)
		}
	}
	data, err := os.ReadFile("../../shared/seed/FACTS.md")
	if err != nil {
		t.Skipf("FACTS.md not beside the repo: %v", err)
	}
	facts := string(data)
	var want []string
	for _, row := range tableRows(factsSection(t, facts, "## 3.2 "), 0) {
		want = append(want, addrToken.FindAllString(row[3], -1)...)
	}
	private := factsSection(t, facts, "## 3.4 ")
	want = append(want, addrToken.FindAllString(tableRows(private, 0)[1][1], -1)...) // 166.8.0.0/14, 161.26.0.0/16
	for _, row := range tableRows(private, 1) {
		want = append(want, addrToken.FindAllString(row[3], -1)...)
	}
	for _, row := range tableRows(private, 3) {
		want = append(want, addrToken.FindAllString(row[3], -1)...) // after 2022-07-05 only
		want = append(want, strings.Split(strings.ReplaceAll(row[1], " ", ""), ",")...)
	}
	for _, row := range tableRows(factsSection(t, facts, "## 3.7 "), 0) {
		want = append(want, addrToken.FindAllString(row[2], -1)...)
	}
	want = append(want, "cloud.ibm.com", "containers.cloud.ibm.com", "iam.cloud.ibm.com", "iam.bluemix.net")
	if len(want) < 600 {
		t.Fatalf("only %d facts read from FACTS.md: the tables moved?", len(want))
	}
	for _, w := range want {
		if !regexp.MustCompile(`(^|[\s\[,])` + regexp.QuoteMeta(w) + `($|[\s\],])`).MatchString(text) {
			t.Errorf("FACTS.md section 3 names %s; the 2025 catalog lacks it", w)
		}
	}
	// What FACTS.md lists as gone is not there.
	for _, gone := range []string{"169.51.73.50", "169.51.91.162", "169.62.10.20", "166.9.20.31", "166.9.40.20"} {
		if strings.Contains(text, gone) {
			t.Errorf("%s is listed as removed (or before 2022-07-05) in FACTS.md; the catalog has it", gone)
		}
	}
	// Regions by their IDs and aliases.
	for alias, id := range map[string]string{"ap-north": "jp-tok", "AP North": "jp-tok", "ap-south": "au-syd", "eu-central": "eu-de",
		"uk-south": "eu-gb", "Madrid": "eu-es", "Osaka": "jp-osa", "Sao Paulo": "br-sao", "Toronto": "ca-tor", "us-south": "us-south"} {
		r, err := c.RegionByName(alias)
		if err != nil || r.Name.V != id {
			t.Errorf("RegionByName(%q) = %v, %v; want %s", alias, r, err, id)
		}
	}
	for _, id := range []string{"br-sao", "ca-tor"} {
		r, _ := c.RegionByName(id)
		if len(r.MasterPrivate) != 0 || len(r.Notes) == 0 {
			t.Errorf("%s: the page has no private row; the catalog must not guess one and must say so", id)
		}
	}
	if us, _ := c.RegionByName("us-south"); len(us.Master) != 75 || !slices.ContainsFunc(us.Locations, func(l Location) bool { return l.Name.V == "dal10" }) {
		t.Errorf("us-south: %d public master IPs; want 75 and dal10 among its zones", len(us.Master))
	}
}

// TestSelectEdition: the current edition is picked by a master URL of its host forms or a
// region only it has; --edition wins; a 2018 master IP keeps 2018.
func TestSelectEdition(t *testing.T) {
	cases := []struct {
		edition, master, region string
		want, wantRegion        string
		locations               []string
	}{
		// A location only today's page has picks it, as a region does; one both have does not.
		{"", "", "us-south", CurrentEdition, "us-south", []string{"sjc03"}},
		{"", "", "us-south", DefaultEdition, "us-south", []string{"dal10"}},
		{"", "", "us-south", DefaultEdition, "us-south", []string{"hou02"}},
		{"", "c3.us-south.containers.cloud.ibm.com", "", CurrentEdition, "us-south", nil},
		{"", "c110-e.eu-de.containers.cloud.ibm.com", "", CurrentEdition, "eu-de", nil},
		{"", "c7.private.jp-tok.containers.cloud.ibm.com", "", CurrentEdition, "jp-tok", nil},
		{"", "c3-private.ca-tor.containers.cloud.ibm.com", "", CurrentEdition, "ca-tor", nil},
		{"", "c3.mars-one.containers.cloud.ibm.com", "", DefaultEdition, "", nil},
		{"", "169.46.7.238", "", DefaultEdition, "", nil},
		{"", "", "eu-es", CurrentEdition, "eu-es", nil},
		{"", "", "us-south", DefaultEdition, "us-south", nil},
		{"2018-04-18", "c3.us-south.containers.cloud.ibm.com", "", DefaultEdition, "", nil},
		{"current", "", "us-south", CurrentEdition, "us-south", nil},
	}
	for _, tc := range cases {
		f := Facts{Region: tc.region, Locations: tc.locations}
		f.Master.Host = tc.master
		c, err := SelectEdition(tc.edition, &f)
		if err != nil || c.Edition != tc.want || f.Region != tc.wantRegion {
			t.Errorf("%+v: edition %v, region %q, %v", tc, c.Edition, f.Region, err)
		}
	}
	if _, err := SelectEdition("2019", &Facts{}); err == nil {
		t.Error("an unknown edition was accepted")
	}
	// With the edition given, another edition's location is refused with the flag that takes it.
	c, _ := SelectEdition(DefaultEdition, &Facts{})
	_, err := c.BuildPlan(Facts{Profile: Worker, Region: "us-south", Locations: []string{"sjc03"}})
	if err == nil || !strings.Contains(err.Error(), "pass --edition current") {
		t.Errorf("sjc03 in the 2018 edition: %v; want an error naming --edition current", err)
	}
}

func TestPrivateEndpointOf(t *testing.T) {
	for _, tc := range []struct {
		public, private string
		want            bool
	}{
		{"c100.us-south.containers.cloud.ibm.com", "c100.private.us-south.containers.cloud.ibm.com", true},
		{"c100-e.us-south.containers.cloud.ibm.com", "c100-private.us-south.containers.cloud.ibm.com", true},
		{"C100.US-South.containers.cloud.ibm.com.", "c100.private.us-south.containers.cloud.ibm.com", true},
		{"c100.us-south.containers.cloud.ibm.com", "c101.private.us-south.containers.cloud.ibm.com", false}, // another cluster
		{"c100.us-south.containers.cloud.ibm.com", "c100.private.us-east.containers.cloud.ibm.com", false},  // another region
		{"c100.private.us-south.containers.cloud.ibm.com", "c100.private.us-south.containers.cloud.ibm.com", false},
		{"c100.us-south.containers.cloud.ibm.com", "c100.us-south.containers.cloud.ibm.com", false},
		{"169.47.234.18", "c100.private.us-south.containers.cloud.ibm.com", false},
		{"c100.us-south.containers.cloud.ibm.com", "c100.private.us-south.example.com", false},
	} {
		if got := PrivateEndpointOf(tc.public, tc.private); got != tc.want {
			t.Errorf("PrivateEndpointOf(%q, %q) = %v, want %v", tc.public, tc.private, got, tc.want)
		}
	}
}
