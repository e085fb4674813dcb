package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/report"
)

// Shell completion, as kubectl does it: the script a shell loads is a thin shim that hands the
// line typed so far to the hidden `fwcheck __complete SHELL LINE` and offers what it prints.
// So the commands, the flags each command shows in its help and the values of the flags with a
// fixed set (regions, locations, editions, formats, groups) complete from the same registry as
// help does, and a new flag completes without touching a script. Nothing of it dials anything.

const completeCommand = "__complete"

// filesDirective, printed alone, asks the shell to complete a file name.
const filesDirective = ":files"

// bashCompletion works in bash, and in zsh through bashcompinit.
const bashCompletion = `# fwcheck completion for bash. Load it with: source <(fwcheck completion bash)
_fwcheck() {
    local IFS=$'\n' out
    out=($("${COMP_WORDS[0]}" __complete bash "${COMP_LINE:0:COMP_POINT}" 2>/dev/null)) || return
    if [[ ${out[0]} == :files ]]; then
        local line=${COMP_LINE:0:COMP_POINT}
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "${line##*[[:space:]=]}"))
        return
    fi
    [[ ${out[0]} == *:// ]] && compopt -o nospace 2>/dev/null # a scheme: the host follows
    COMPREPLY=("${out[@]}")
}
complete -F _fwcheck fwcheck
`

const zshCompletion = `# fwcheck completion for zsh. Load it with: source <(fwcheck completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
` + bashCompletion

var completionScripts = map[string]string{"bash": bashCompletion, "zsh": zshCompletion}

func completionCommand(stdout io.Writer) *cli.Command {
	shells := slices.Sorted(maps.Keys(completionScripts))
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for " + strings.Join(shells, " or "),
		UsageText: "fwcheck completion " + strings.Join(shells, "|") + "      (source <(fwcheck completion bash))",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput("completion takes one shell: %s", strings.Join(shells, ", "))
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return badInput("completion: unknown shell %s (valid: %s)", quoteValue(c.Args().First()), strings.Join(shells, ", "))
			}
			_, err := io.WriteString(stdout, script)
			return err
		},
	}
}

// complete prints, one a line, what may stand at the end of line (the command line up to the
// cursor), as the word the shell completes: after a flag's "=", only the value.
func complete(app *cli.App, line string, w io.Writer) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return
	}
	words = words[1:] // the program's name
	if line != strings.TrimRightFunc(line, unicode.IsSpace) {
		words = append(words, "")
	} else if len(words) == 0 {
		return // the program's name itself
	}
	cands, prefix := candidates(app, words)
	if len(cands) == 1 && cands[0] == filesDirective {
		fmt.Fprintln(w, filesDirective)
		return
	}
	cur := words[len(words)-1]
	for _, c := range cands {
		if strings.HasPrefix(prefix+c, cur) {
			fmt.Fprintln(w, c)
		}
	}
}

// candidates is what may complete the last of words; prefix is what the shell keeps of that
// word before them (a flag and its "=").
func candidates(app *cli.App, words []string) (cands []string, prefix string) {
	cur, before := words[len(words)-1], words[:len(words)-1]
	cmd, sub, args := commandOf(app, before)
	owner := flagOwner(app, cmd, sub)
	switch {
	case strings.HasPrefix(cur, "-") && strings.Contains(cur, "="):
		prefix = cur[:strings.Index(cur, "=")+1]
		return values(owner, flagName(cur), cur[len(prefix):], before), prefix
	case strings.HasPrefix(cur, "-") && cmd == nil:
		return []string{"--help", "--version"}, ""
	case strings.HasPrefix(cur, "-"):
		return flagNamesOf(owner), ""
	}
	if len(before) > 0 {
		if f := valueFlag(owner, before[len(before)-1]); f != "" {
			return values(owner, f, cur, before), ""
		}
	}
	switch {
	case cmd == nil:
		return commandNames(app), ""
	case cmd.Name == "help":
		return commandNames(app), ""
	case len(cmd.Subcommands) > 0 && sub == nil:
		var names []string
		for _, s := range cmd.Subcommands {
			names = append(names, s.Name)
		}
		return names, ""
	case sub != nil && sub.Name == "show" && len(args) == 0:
		return regionNames(), ""
	case sub != nil && sub.Name == "validate", cmd.Name == "merge":
		return []string{filesDirective}, ""
	case cmd.Name == cmdProbe && !strings.Contains(cur, ":"):
		var schemes []string
		for _, s := range endpoints.ProbeSchemes {
			schemes = append(schemes, s+"://") // then HOST:PORT
		}
		return schemes, ""
	case cmd.Name == "serve" && len(args) == 0:
		return allChecks, "" // serve CHECK [ARGS]
	case cmd.Name == "completion" && len(args) == 0:
		return slices.Sorted(maps.Keys(completionScripts)), ""
	}
	return nil, ""
}

// commandOf finds the command in words (flags and their values skipped; `serve CHECK` is CHECK),
// its subcommand, and the arguments after them.
func commandOf(app *cli.App, words []string) (cmd, sub *cli.Command, args []string) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") {
			if !strings.Contains(w, "=") && valueFlag(flagOwner(app, cmd, sub), w) != "" {
				i++ // its value
			}
			continue
		}
		switch {
		case cmd == nil || cmd.Name == "serve" && slices.Contains(allChecks, w):
			cmd = app.Command(w)
			if cmd == nil && w != "help" {
				return nil, nil, nil
			}
			if w == "help" {
				cmd = &cli.Command{Name: "help"}
			}
		case sub == nil && len(cmd.Subcommands) > 0:
			sub = cmd.Command(w)
		default:
			args = append(args, w)
		}
	}
	return cmd, sub, args
}

// flagOwner is the command whose flags are typed: the subcommand, else the command, else a
// check command (flags typed before the command are a check's).
func flagOwner(app *cli.App, cmd, sub *cli.Command) *cli.Command {
	switch {
	case sub != nil:
		return sub
	case cmd != nil:
		return cmd
	}
	return app.Command(cmdWorker)
}

// flagNamesOf lists the flags cmd shows in its help, long names with two dashes.
func flagNamesOf(cmd *cli.Command) []string {
	names := []string{"--help"}
	for _, f := range cmd.VisibleFlags() {
		names = append(names, "--"+f.Names()[0])
	}
	return names
}

// valueFlag is the name of the flag that word names on cmd if it takes a value, else "".
func valueFlag(cmd *cli.Command, word string) string {
	name := flagName(word)
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) && takesValue(f) {
			return f.Names()[0]
		}
	}
	return ""
}

// values lists what flag may be set to, where the set is fixed; a file, where it names one.
// typed is the value so far.
func values(cmd *cli.Command, flag, typed string, before []string) []string {
	switch {
	case flag == "output" && strings.Contains(typed, "="):
		return []string{filesDirective} // FORMAT=FILE
	}
	switch flag {
	case "region":
		return regionNames()
	case "location":
		return locationNames(flagValue(cmd, before, "region"), flagValue(cmd, before, "edition"))
	case "edition":
		return append(endpoints.Editions(), "current")
	case "output":
		return report.Formats()
	case "skip":
		return endpoints.GroupNames
	case "catalog", "kubeconfig", "ca-file", "export-ca", "targets-file", "pac":
		return []string{filesDirective}
	}
	return nil
}

// flagValue is the last value given to flag among words, or "".
func flagValue(cmd *cli.Command, words []string, flag string) string {
	v := ""
	for i, w := range words {
		if !strings.HasPrefix(w, "-") || flagName(w) != flag {
			continue
		}
		if _, val, eq := strings.Cut(w, "="); eq {
			v = val
		} else if i+1 < len(words) && valueFlag(cmd, w) != "" {
			v = words[i+1]
		}
	}
	return v
}

// locationNames lists the locations of region (every region's if it names none) in the
// edition typed, else in every embedded edition (a location only today's page has picks it),
// each name once: what the command will accept.
func locationNames(region, edition string) []string {
	editions := endpoints.Editions()
	if edition == "current" {
		edition = endpoints.CurrentEdition
	}
	if slices.Contains(editions, edition) {
		editions = []string{edition}
	}
	var names []string
	for _, ed := range editions {
		c, err := endpoints.EmbeddedEdition(ed)
		if err != nil {
			continue
		}
		for _, r := range c.Regions {
			if region != "" {
				if want, err := c.RegionByName(region); err != nil || want.Name.V != r.Name.V {
					continue
				}
			}
			for _, l := range r.Locations {
				if !slices.Contains(names, l.Name.V) {
					names = append(names, l.Name.V)
				}
			}
		}
	}
	return names
}
