package endpoints

import "testing"

// BenchmarkPlanFullCatalog plans a worker in every region with every group.
func BenchmarkPlanFullCatalog(b *testing.B) {
	c, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range c.Regions {
			if _, err := c.BuildPlan(Facts{Profile: Worker, Region: r.Name.V, Private: true, PVC: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseCatalog parses and validates the embedded catalog (done once a run).
func BenchmarkParseCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(EmbeddedName, embeddedCatalog); err != nil {
			b.Fatal(err)
		}
	}
}
