package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
)

func catalogCommand(ses session) *cli.Command {
	stdout := ses.stdout
	catalogFlag := &cli.StringFlag{Name: "catalog", Usage: "a catalog `FILE` instead of the embedded one", EnvVars: []string{"FWCHECK_CATALOG"}}
	editionFlag := &cli.StringFlag{Name: "edition", Usage: "the embedded catalog of this `EDITION`: " + strings.Join(endpoints.Editions(), ", ") + " or current", EnvVars: []string{"FWCHECK_EDITION"}}
	return &cli.Command{
		Name:            "catalog",
		Usage:           "list, show, export or validate the catalog of openings",
		UsageText:       "fwcheck catalog list | show [REGION] | export | validate FILE",
		HideHelpCommand: true,
		Subcommands: []*cli.Command{
			{
				Name:      "list",
				Usage:     "list the regions and their locations",
				UsageText: "fwcheck catalog list",
				Flags:     []cli.Flag{catalogFlag, editionFlag},
				Action:    withCatalog(0, func(_ *cli.Context, cat *endpoints.Catalog) error { return listCatalog(stdout, cat) }),
			},
			{
				Name:      "show",
				Usage:     "show a region's groups, hosts and locations (every region's without one)",
				ArgsUsage: "[REGION]",
				UsageText: "fwcheck catalog show us-south",
				Flags:     []cli.Flag{catalogFlag, editionFlag},
				Action: withCatalog(1, func(c *cli.Context, cat *endpoints.Catalog) error {
					return showCatalog(stdout, cat, c.Args().First())
				}),
			},
			{
				Name:      "export",
				Usage:     "write the catalog in the format --catalog reads, to edit and use",
				UsageText: "fwcheck catalog export > my-catalog.yaml",
				Flags:     []cli.Flag{catalogFlag, editionFlag},
				Action: withCatalog(0, func(_ *cli.Context, cat *endpoints.Catalog) error {
					_, err := stdout.Write(cat.Raw)
					return err
				}),
			},
			{
				Name:      "validate",
				Usage:     "check a catalog file and list every problem with its line",
				ArgsUsage: "FILE",
				UsageText: "fwcheck catalog validate my-catalog.yaml",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return badInput("catalog validate takes one FILE")
					}
					file := c.Args().First()
					data, err := readCapped(file, maxCatalogBytes)
					if err != nil {
						return badInput("catalog validate: %v", err)
					}
					cat, err := endpoints.Parse(file, data)
					var ve *endpoints.ValidationError
					if errors.As(err, &ve) {
						for _, p := range ve.Problems {
							fmt.Fprintln(stdout, p)
						}
						noun := "problems"
						if len(ve.Problems) == 1 {
							noun = "problem"
						}
						fmt.Fprintf(stdout, "%s: %d %s\n", file, len(ve.Problems), noun)
						return exited(ExitBadInput) // the problems are the output
					} else if err != nil {
						return usageError{err}
					}
					locs := 0
					for _, r := range cat.Regions {
						locs += len(r.Locations)
					}
					_, err = fmt.Fprintf(stdout, "%s: valid (edition %s: %d groups, %d hosts, %d regions, %d locations)\n",
						file, cat.Edition, len(cat.Groups), len(cat.Hosts), len(cat.Regions), locs)
					return err
				},
			},
		},
	}
}

// withCatalog is the action of a catalog subcommand that takes at most maxArgs arguments (more
// would be silently ignored: they are refused) and reads the catalog --catalog and --edition
// name.
func withCatalog(maxArgs int, do func(*cli.Context, *endpoints.Catalog) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() > maxArgs {
			return badInput("catalog %s takes %s, got %s", c.Command.Name, map[int]string{0: "no arguments", 1: "at most one REGION"}[maxArgs], quoteValue(c.Args().Get(maxArgs)))
		}
		cat, err := loadCatalog(c.String("catalog"), c.String("edition"))
		if err != nil {
			return err
		}
		return do(c, cat)
	}
}

func listCatalog(w io.Writer, cat *endpoints.Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "REGION\tTITLE\tLOCATIONS\n")
	for _, r := range cat.Regions {
		var locs []string
		for _, l := range r.Locations {
			locs = append(locs, l.Name.V)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name.V, r.Title, strings.Join(locs, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "catalog edition %s (%s); embedded editions: %s (default), %s (current: --edition current)\n",
		cat.Edition, cat.Name, endpoints.DefaultEdition, endpoints.CurrentEdition)
	return err
}

func showCatalog(w io.Writer, cat *endpoints.Catalog, region string) error {
	regions := cat.Regions
	if region != "" {
		r, err := cat.RegionByName(region)
		if err != nil {
			return usageError{err}
		}
		regions = []endpoints.Region{*r}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "catalog edition %s: %s\n\ngroups:\n", cat.Edition, cat.Source)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0) // columns as wide as their longest cell
	for _, g := range cat.Groups {
		req := "required"
		if !g.Required {
			req = "optional"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", g.Name.V, g.Section, req, g.Protocol, g.Ports.V, g.Title)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\napi: https://%s:%d%s\n", cat.API.Host.V, cat.API.Port.V, cat.API.Path)
	for _, r := range regions {
		fmt.Fprintf(&b, "\n%s (%s)\n", r.Name.V, r.Title)
		if len(r.Aliases) > 0 {
			fmt.Fprintf(&b, "  also known as %s\n", strings.Join(r.Aliases, ", "))
		}
		if r.Regional() {
			fmt.Fprintf(&b, "  master (public, %d) %s\n", len(r.Master), joinPos(r.Master))
			fmt.Fprintf(&b, "  master (private, %d) %s\n", len(r.MasterPrivate), joinPos(r.MasterPrivate))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		hosts := []string{cat.RegistryGlobal.V, r.Registry.V, r.Monitoring.V, r.Logging.V, r.PrivateRegistry.V}
		for _, h := range r.Registries {
			hosts = append(hosts, h.V)
		}
		for _, h := range hosts {
			if h == "" {
				continue
			}
			var addrs []string
			for _, p := range cat.Host(h).Prefixes() {
				addrs = append(addrs, p.String())
			}
			fmt.Fprintf(&b, "  host %-36s %s\n", h, strings.Join(addrs, " "))
		}
		for _, l := range r.Locations {
			master := ""
			if len(l.Master) > 0 {
				master = "master " + joinPos(l.Master) + "; "
			}
			fmt.Fprintf(&b, "  location %-6s %sfront-end %s; back-end %s\n", l.Name.V, master, joinPos(l.Frontend), joinPos(l.Backend))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func joinPos(ps []endpoints.Pos[string]) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.V
	}
	return strings.Join(s, " ")
}
