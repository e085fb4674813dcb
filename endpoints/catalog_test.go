package endpoints

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEmbeddedCatalog guards the transcription: every IP, CIDR, host name and port of the
// page and its four tables is in the catalog, and it validates.
func TestEmbeddedCatalog(t *testing.T) {
	c, err := Embedded()
	if err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	if c.Edition != "2018-04-18" {
		t.Errorf("edition = %q", c.Edition)
	}
	text := string(c.Raw)
	seeds, _ := filepath.Glob("../../shared/seed/includes/*.md")
	seeds = append(seeds, "../../shared/seed/firewall.md")
	var tokens []string
	for _, f := range seeds {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("seed not beside the repo (%v): checking the catalog against a fixed list only", err)
		}
		tokens = append(tokens, seedTokens(string(data))...)
	}
	for _, tok := range tokens {
		if !strings.Contains(text, tok) {
			t.Errorf("the seed names %s; the catalog lacks it", tok)
		}
	}
	want := map[string][]string{
		"us-south":   {"dal10", "dal12", "dal13", "hou02", "sao01"},
		"us-east":    {"mon01", "tor01", "wdc06", "wdc07"},
		"uk-south":   {"lon02", "lon04"},
		"eu-central": {"ams03", "fra02", "mil01", "par01"},
		"ap-south":   {"mel01", "syd01", "syd04"},
		"ap-north":   {"hkg02", "seo01", "sng01", "tok02"},
	}
	for region, locs := range want {
		r, err := c.RegionByName(region)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range r.Locations {
			got = append(got, l.Name.V)
			if len(l.Frontend) == 0 || len(l.Backend) == 0 {
				t.Errorf("%s has no front-end or back-end range", l.Name.V)
			}
		}
		if !slices.Equal(got, locs) {
			t.Errorf("%s locations = %v; want %v", region, got, locs)
		}
	}
	if c.Place("dal01") == nil || c.ServiceNetwork[0].V != "161.26.0.0/16" {
		t.Error("dal01 or the service network is missing")
	}
}

var seedToken = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.bluemix\.net\b`)

// seedTokens lists the IPs, CIDRs and bluemix.net names in a seed file.
func seedTokens(s string) []string {
	var out []string
	for _, m := range seedToken.FindAllString(s, -1) {
		if !strings.Contains(m, "{") {
			out = append(out, m)
		}
	}
	return out
}

// TestBadCatalogs: one fixture per rule, the exact error with its line.
func TestBadCatalogs(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"invalid-yaml.yaml", []string{"testdata/invalid-yaml.yaml:2: did not find expected '-' indicator"}},
		{"invalid-unknown-field.yaml", []string{`testdata/invalid-unknown-field.yaml:4: unknown field "prots"`}},
		{"invalid-values.yaml", []string{
			`testdata/invalid-values.yaml:5: group "api": ports: port "0" is not a number from 1 to 65535`,
			`testdata/invalid-values.yaml:12: host "registry.bluemix.net": "169.60.72.150/28" has host bits set (did you mean 169.60.72.144/28?)`,
			`testdata/invalid-values.yaml:18: location "dal10": master "169.47.234" is not an IP address`,
			`testdata/invalid-values.yaml:19: region "us-south": logging host "ingest.missing.example" is not one of the hosts`,
		}},
		{"invalid-empty.yaml", []string{"testdata/invalid-empty.yaml: empty catalog"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse("testdata/"+tc.file, data)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v; want a ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.String())
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("problems = %q\nwant among them %q", got, w)
				}
			}
		})
	}
}

func TestRegionByName(t *testing.T) {
	c, _ := Embedded()
	for _, in := range []string{"us-south", "US South", " us_south ", "US-SOUTH"} {
		if r, err := c.RegionByName(in); err != nil || r.Name.V != "us-south" {
			t.Errorf("RegionByName(%q) = %v, %v", in, r, err)
		}
	}
	_, err := c.RegionByName("mars-north")
	if err == nil || !strings.Contains(err.Error(), "ap-north, ap-south, eu-central, uk-south, us-east, us-south") {
		t.Errorf("unknown region error = %v; want the valid names", err)
	}
	r, l := c.LocateMaster(netip.MustParseAddr("169.46.7.238"))
	if r == nil || r.Name.V != "us-south" || l.Name.V != "dal10" {
		t.Errorf("LocateMaster(169.46.7.238) = %v, %v", r, l)
	}
	if r, _ := c.LocateMaster(netip.MustParseAddr("198.51.100.1")); r != nil {
		t.Errorf("LocateMaster(198.51.100.1) = %v; want none", r.Name.V)
	}
}
