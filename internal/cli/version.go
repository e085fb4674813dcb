package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
)

// versionCommand prints what a bug report needs: the version, the commit, the Go version and
// platform, the catalog edition; -o json for scripts.
func versionCommand(ses session) *cli.Command {
	stdout := ses.stdout
	return &cli.Command{
		Name:               "version",
		Usage:              "print the version, commit and catalog edition",
		UsageText:          "fwcheck version [-o json]",
		CustomHelpTemplate: subcommandHelp,
		Flags: []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text",
			Usage: "text, or json for scripts (as kubectl version -o json)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return badInput("version takes no arguments, got %s", quoteValue(c.Args().First()))
			}
			switch c.String("output") {
			case "text":
				return printVersion(stdout)
			case "json":
				return printVersionJSON(stdout)
			}
			return badInput("version -o %s: give text or json", quoteValue(c.String("output")))
		},
	}
}

// printVersionJSON prints what printVersion does, as one JSON object for scripts.
func printVersionJSON(w io.Writer) error {
	v, c := versionString()
	ed := "invalid"
	if cat, err := endpoints.Embedded(); err == nil {
		ed = cat.Edition
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"version": v, "commit": c, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH,
		"catalog": map[string]any{"default": ed, "editions": endpoints.Editions()}})
}

// printVersion prints the module version, the VCS revision and the embedded catalog edition.
func printVersion(w io.Writer) error {
	v, c := versionString()
	ed := "invalid"
	if cat, err := endpoints.Embedded(); err == nil {
		ed = cat.Edition
	}
	// The Go version and platform too, as kubectl's: what a bug report needs.
	_, err := fmt.Fprintf(w, "fwcheck %s (commit %s, %s %s/%s), catalog edition %s\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH, ed)
	return err
}
