package report

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// junitSuite is one <testsuite>'s attributes and what follows its cases; the cases are
// written one at a time (writeJUnitDoc), never held.
type junitSuite struct {
	Name, Time, Timestamp string
	Tests, Fail, Skip     int
	Props                 []junitProperty
	SystemOut             string
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
func writeJUnit(w io.Writer, r *Report, strict bool) error {
	if len(r.Vantages) > 0 {
		return writeJUnitPerVantage(w, r, strict)
	}
	suite := junitSuite{
		Name: "fwcheck " + r.Profile, Time: seconds(float64(r.ElapsedMS)),
		Timestamp: r.Started.Format("2006-01-02T15:04:05Z07:00"),
		Props:     []junitProperty{{"region", r.Region}, {"via", r.Via}, {"catalog", r.Tool.Catalog}},
		Tests:     r.Len(), Fail: r.Summary.Missing, Skip: r.Summary.Skipped,
	}
	if strict {
		suite.Fail += r.Summary.Warnings // --strict: a warning fails the run, and its case
	}
	for _, f := range r.Findings {
		suite.SystemOut += fmt.Sprintf("finding %s: %s\n", f.Kind, f.Summary)
		if f.Detail != "" {
			suite.SystemOut += "  " + f.Detail + "\n"
		}
	}
	return writeJUnitDoc(w, suite.Time, []junitSuite{suite}, func(_ int, emit func(junitCase) error) error {
		return r.Each(func(o Opening) error {
			c := junitCase{Name: o.ID + ": " + o.Title, Classname: "fwcheck." + o.Section, Time: seconds(maxElapsed(o))}
			switch o.Status {
			case Missing:
				msg := o.Rule
				if msg == "" {
					msg = "no firewall rule: see the " + strings.Join(o.Findings, ", ") + " finding" + pluralS(len(o.Findings))
				}
				c.Failure = &junitFailure{Message: msg, Type: Missing, Text: probeLines(o)}
			case Skipped:
				c.Skipped = &junitSkipped{Message: o.Note}
				if r.DryRun {
					c.SystemOut = "planned: " + o.Rule + "\n" + probeLines(o)
				}
			case Warning:
				if strict {
					c.Failure = &junitFailure{Message: "warning, a failure under --strict: " + cmp.Or(o.Rule, strings.Join(o.Findings, ", ")), Type: Warning, Text: probeLines(o)}
				} else {
					c.SystemOut = "warning: " + o.Rule + "\n" + probeLines(o)
				}
			}
			return emit(c)
		})
	})
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
	if p.Address == "" || p.Address == p.Host {
		return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) // [::1]:443, as an IPv6 literal is written with a port
	}
	return fmt.Sprintf("%s (%s):%d", p.Host, p.Address, p.Port)
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
func writeJUnitPerVantage(w io.Writer, r *Report, strict bool) error {
	suites := make([]junitSuite, len(r.Vantages))
	for k, v := range r.Vantages {
		suites[k] = junitSuite{Name: "fwcheck " + r.Profile + " on " + v.Name, Time: seconds(float64(r.ElapsedMS)),
			Timestamp: r.Started.Format("2006-01-02T15:04:05Z07:00"),
			Props:     []junitProperty{{"vantage", v.Name}, {"zone", v.Zone}, {"region", r.Region}, {"catalog", r.Tool.Catalog}}}
		if v.Problem != "" {
			suites[k].Tests, suites[k].Fail = 1, 1 // one failing case: the vantage itself
		}
	}
	err := r.Each(func(o Opening) error {
		for k, v := range r.Vantages {
			st, ok := o.Cells[v.Name]
			if !ok {
				continue
			}
			suites[k].Tests++
			switch {
			case st == Missing, st == NotRun, strict && st == Warning:
				suites[k].Fail++
			case st == Skipped:
				suites[k].Skip++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJUnitDoc(w, seconds(float64(r.ElapsedMS)), suites, func(k int, emit func(junitCase) error) error {
		v := r.Vantages[k]
		if v.Problem != "" {
			return emit(junitCase{Name: "fwcheck on " + v.Name, Classname: "fwcheck." + FindingNode, Time: seconds(0),
				Failure: &junitFailure{Message: v.Name + " could not be checked: " + v.Problem, Type: FindingNode}})
		}
		return r.Each(func(o Opening) error {
			st, ok := o.Cells[v.Name]
			if !ok {
				return nil
			}
			own := o
			own.Probes = nil
			for _, p := range o.Probes {
				if p.Vantage == v.Name {
					own.Probes = append(own.Probes, p)
				}
			}
			// The node is in the classname: ten nodes' cases are ten cases, not one name ten times.
			c := junitCase{Name: o.ID + ": " + o.Title, Classname: "fwcheck." + v.Name + "." + o.Section, Time: seconds(maxElapsed(own))}
			switch {
			case st == Missing:
				c.Failure = &junitFailure{Message: "missing from " + v.Name, Type: Missing, Text: probeLines(own)}
			case st == NotRun:
				c.Failure = &junitFailure{Message: "not run on " + v.Name + ": its report lacks this opening", Type: FindingNode}
			case st == Skipped:
				c.Skipped = &junitSkipped{Message: o.Note}
			case st == Warning && strict:
				c.Failure = &junitFailure{Message: "a warning on " + v.Name + ", a failure under --strict", Type: Warning, Text: probeLines(own)}
			case st == Warning:
				c.SystemOut = "warning: " + probeLines(own)
			}
			return emit(c)
		})
	})
}

// writeJUnitDoc writes the XML header and the document, indented, the suites' cases one at a
// time as cases(k, emit) gives suite k's: the counts come first in JUnit, so the suites
// carry them, and no case is held.
func writeJUnitDoc(w io.Writer, time string, suites []junitSuite, cases func(k int, emit func(junitCase) error) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	var tests, fail int
	for _, s := range suites {
		tests, fail = tests+s.Tests, fail+s.Fail
	}
	// The xUnit schema CI servers read (junit-10.xsd): errors on every suite, no skipped on
	// the root. fwcheck's failures are failures, never errors.
	root := element("testsuites", "name", "fwcheck", "tests", strconv.Itoa(tests), "failures", strconv.Itoa(fail),
		"errors", "0", "time", time)
	if err := enc.EncodeToken(root); err != nil {
		return err
	}
	for k, s := range suites {
		start := element("testsuite", "name", s.Name, "tests", strconv.Itoa(s.Tests), "failures", strconv.Itoa(s.Fail),
			"errors", "0", "skipped", strconv.Itoa(s.Skip), "time", s.Time, "timestamp", s.Timestamp)
		if err := enc.EncodeToken(start); err != nil {
			return err
		}
		if len(s.Props) > 0 {
			props := struct {
				Props []junitProperty `xml:"property"`
			}{s.Props}
			if err := enc.EncodeElement(props, element("properties")); err != nil {
				return err
			}
		}
		err := cases(k, func(c junitCase) error { return enc.EncodeElement(c, element("testcase")) })
		if err != nil {
			return err
		}
		if s.SystemOut != "" {
			if err := enc.EncodeElement(s.SystemOut, element("system-out")); err != nil {
				return err
			}
		}
		if err := enc.EncodeToken(start.End()); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// element is a start element with attributes given as name, value pairs.
func element(name string, attrs ...string) xml.StartElement {
	e := xml.StartElement{Name: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	return e
}
