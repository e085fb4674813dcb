package endpoints

import (
	"fmt"
	"regexp"
	"strings"
)

// masterHost matches the master URL host forms of the current edition (FACTS.md 3.10, from
// secondary sources): c<N>[-e|-f].<region>, c<N>.private.<region> and c<N>-private.<region>,
// under containers.cloud.ibm.com.
var masterHost = regexp.MustCompile(`^c\d+(?:-[ef])?(?:\.private|-private)?\.([a-z]+-[a-z]+)\.containers\.cloud\.ibm\.com$`)

// masterHostParts splits the same forms into the cluster number, the private marker and the
// region.
var masterHostParts = regexp.MustCompile(`^c(\d+)(?:-[ef])?(\.private|-private)?\.([a-z]+-[a-z]+)\.containers\.cloud\.ibm\.com$`)

// MasterHostRegion reads the region ID out of a current-edition master host name, and says
// whether it is the private service endpoint.
func MasterHostRegion(host string) (region string, private, ok bool) {
	m := masterHost.FindStringSubmatch(strings.ToLower(strings.TrimSuffix(host, ".")))
	if m == nil {
		return "", false, false
	}
	return m[1], strings.Contains(host, "private"), true
}

// SelectEdition picks the embedded catalog for a run: the edition asked for; else the current
// edition when the facts say so (a master URL of its host form, a region only it has); else
// the default. It fills in the region a master host names, and says why in the facts' notes.
func SelectEdition(edition string, f *Facts) (*Catalog, error) {
	if edition != "" {
		return EmbeddedEdition(edition)
	}
	current, err := EmbeddedEdition(CurrentEdition)
	if err != nil {
		return nil, err
	}
	if region, private, ok := MasterHostRegion(f.Master.Host); ok {
		if _, err := current.RegionByName(region); err == nil {
			what := "the public service endpoint"
			if private {
				what = "the private service endpoint"
			}
			f.Notes = append(f.Notes, fmt.Sprintf("edition %s picked: the master URL host %s is %s of region %s (a host form seen in secondary sources, FACTS.md 3.10)", CurrentEdition, f.Master.Host, what, region))
			if f.Region == "" {
				f.Region = region
			}
			return current, nil
		}
	}
	def, err := EmbeddedEdition(DefaultEdition)
	if err != nil {
		return nil, err
	}
	if f.Region != "" {
		r, err := def.RegionByName(f.Region)
		if err != nil {
			if r, err := current.RegionByName(f.Region); err == nil {
				f.Notes = append(f.Notes, fmt.Sprintf("edition %s picked: region %s exists only in it", CurrentEdition, r.Name.V))
				return current, nil
			}
		} else if len(f.Locations) > 0 && !hasLocations(r, f.Locations) {
			// Locations of today's region (sjc03 in us-south) pick today's page, as a region does.
			if rc, err := current.RegionByName(f.Region); err == nil && hasLocations(rc, f.Locations) {
				f.Notes = append(f.Notes, fmt.Sprintf("edition %s picked: location %s of region %s exists only in it",
					CurrentEdition, strings.Join(f.Locations, ", "), rc.Name.V))
				return current, nil
			}
		}
	}
	return def, nil
}

// hasLocations says whether every name is a location of r.
func hasLocations(r *Region, names []string) bool {
	for _, n := range names {
		if _, err := r.LocationByName(n); err != nil {
			return false
		}
	}
	return true
}

// otherEditionHint adds to an unknown location's error the edition that has it, with the flag
// that selects that edition.
func otherEditionHint(err error, edition, region, location string) error {
	for _, ed := range Editions() {
		if ed == edition {
			continue
		}
		c, cerr := EmbeddedEdition(ed)
		if cerr != nil {
			continue
		}
		if r, rerr := c.RegionByName(region); rerr == nil {
			if _, lerr := r.LocationByName(location); lerr == nil {
				flag := "--edition " + ed
				if ed == CurrentEdition {
					flag = "--edition current"
				}
				return fmt.Errorf("%w; it is a location of %s in edition %s: pass %s", err, region, ed, flag)
			}
		}
	}
	return err
}
