package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fail    int          `xml:"failures,attr"`
	Skip    int          `xml:"skipped,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string          `xml:"name,attr"`
	Tests     int             `xml:"tests,attr"`
	Fail      int             `xml:"failures,attr"`
	Skip      int             `xml:"skipped,attr"`
	Time      string          `xml:"time,attr"`
	Timestamp string          `xml:"timestamp,attr"`
	Props     []junitProperty `xml:"properties>property,omitempty"`
	Cases     []junitCase     `xml:"testcase"`
	SystemOut string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// writeJUnit writes one testcase per opening; a missing opening fails with its rule as the
// message and its probes as the text, a warning passes with them in system-out.
func writeJUnit(w io.Writer, r *Report) error {
	if len(r.Vantages) > 0 {
		return writeJUnitPerVantage(w, r)
	}
	suite := junitSuite{
		Name: "fwcheck " + r.Profile, Time: seconds(float64(r.ElapsedMS)),
		Timestamp: r.Started.Format("2006-01-02T15:04:05Z07:00"),
		Props:     []junitProperty{{"region", r.Region}, {"via", r.Via}, {"catalog", r.Tool.Catalog}},
	}
	for _, o := range r.Openings {
		c := junitCase{Name: o.ID + ": " + o.Title, Classname: "fwcheck." + o.Section, Time: seconds(maxElapsed(o))}
		switch o.Status {
		case Missing:
			msg := o.Rule
			if msg == "" {
				msg = "no firewall rule: see the " + strings.Join(o.Findings, ", ") + " finding" + pluralS(len(o.Findings))
			}
			c.Failure = &junitFailure{Message: msg, Type: Missing, Text: probeLines(o)}
			suite.Fail++
		case Skipped:
			c.Skipped = &junitSkipped{Message: o.Note}
			if r.DryRun {
				c.SystemOut = "planned: " + o.Rule + "\n" + probeLines(o)
			}
			suite.Skip++
		case Warning:
			c.SystemOut = "warning: " + o.Rule + "\n" + probeLines(o)
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	for _, f := range r.Findings {
		suite.SystemOut += fmt.Sprintf("finding %s: %s\n", f.Kind, f.Summary)
		if f.Detail != "" {
			suite.SystemOut += "  " + f.Detail + "\n"
		}
	}
	doc := junitSuites{Name: "fwcheck", Tests: suite.Tests, Fail: suite.Fail, Skip: suite.Skip, Time: suite.Time, Suites: []junitSuite{suite}}
	return writeJUnitDoc(w, doc)
}

func probeLines(o Opening) string {
	var b strings.Builder
	for _, p := range o.Probes {
		fmt.Fprintf(&b, "%s %s: %s: %s\n", probeTarget(p), p.Check, p.State, p.Detail)
		if p.Warning != "" {
			fmt.Fprintf(&b, "  warning: %s\n", p.Warning)
		}
	}
	return b.String()
}

// probeTarget names a probe's destination as host (address):port.
func probeTarget(p Probe) string {
	if p.Vantage != "" {
		q := p
		q.Vantage = ""
		return p.Vantage + ": " + probeTarget(q)
	}
	if !p.Dialed {
		if p.Host == "" {
			return "(not dialed)"
		}
		return p.Host
	}
	s := p.Host
	if p.Address != "" && p.Address != p.Host {
		s += " (" + p.Address + ")"
	}
	return fmt.Sprintf("%s:%d", s, p.Port)
}

func maxElapsed(o Opening) float64 {
	m := 0.0
	for _, p := range o.Probes {
		m = max(m, p.ElapsedMS)
	}
	return m
}

func seconds(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }

// writeJUnitPerVantage writes a merged report as one suite per vantage: each node's verdicts
// are its own test results.
func writeJUnitPerVantage(w io.Writer, r *Report) error {
	doc := junitSuites{Name: "fwcheck", Time: seconds(float64(r.ElapsedMS))}
	for _, v := range r.Vantages {
		suite := junitSuite{Name: "fwcheck " + r.Profile + " on " + v.Name, Time: seconds(float64(r.ElapsedMS)),
			Timestamp: r.Started.Format("2006-01-02T15:04:05Z07:00"),
			Props:     []junitProperty{{"vantage", v.Name}, {"zone", v.Zone}, {"region", r.Region}, {"catalog", r.Tool.Catalog}}}
		for _, o := range r.Openings {
			st, ok := o.Cells[v.Name]
			if !ok {
				continue
			}
			own := o
			own.Probes = nil
			for _, p := range o.Probes {
				if p.Vantage == v.Name {
					own.Probes = append(own.Probes, p)
				}
			}
			c := junitCase{Name: o.ID + ": " + o.Title, Classname: "fwcheck." + o.Section, Time: seconds(maxElapsed(own))}
			switch st {
			case Missing:
				c.Failure = &junitFailure{Message: "missing from " + v.Name, Type: Missing, Text: probeLines(own)}
				suite.Fail++
			case Skipped:
				c.Skipped = &junitSkipped{Message: o.Note}
				suite.Skip++
			case Warning:
				c.SystemOut = "warning: " + probeLines(own)
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Tests = len(suite.Cases)
		doc.Tests, doc.Fail, doc.Skip = doc.Tests+suite.Tests, doc.Fail+suite.Fail, doc.Skip+suite.Skip
		doc.Suites = append(doc.Suites, suite)
	}
	return writeJUnitDoc(w, doc)
}

// writeJUnitDoc writes the XML header and the document, indented.
func writeJUnitDoc(w io.Writer, doc junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
