package cli

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// normalize reorders a command line the way kubectl, curl and nmap read theirs, for urfave/cli,
// which stops at the first argument: flags anywhere (`probe HOST -o json`), global flags before
// the command (`fwcheck --no-color worker`), a short flag glued to its value (`-ojson`). Flags
// that take a value are known from the command's own flag set; `--` still ends the flags.
func normalize(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	// Flags before the command go after it, except the app's own (--help, --version).
	var early []string
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "--" && rest[0] != "-" {
		switch rest[0] {
		case "--help", "-help", "-h", "--version", "-version":
			return args // the app answers these itself
		}
		early = append(early, rest[0])
		rest = rest[1:]
		if name := flagName(rest0(early)); !strings.Contains(early[len(early)-1], "=") && takesValueAnywhere(app, name) && len(rest) > 0 {
			early = append(early, rest[0])
			rest = rest[1:]
		}
	}
	if len(rest) == 0 {
		return args
	}
	cmd := app.Command(rest[0])
	if cmd == nil {
		return args // unknown command: the app says so
	}
	out = append(out, rest[0])
	rest = rest[1:]
	if len(cmd.Subcommands) > 0 && len(rest) > 0 {
		if sub := cmd.Command(rest[0]); sub != nil {
			out = append(out, rest[0])
			rest = rest[1:]
			cmd = sub
		}
	}
	values := map[string]bool{}
	known := map[string]bool{}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			known[n] = true
			values[n] = takesValue(f)
		}
	}
	flags := append([]string{}, early...)
	var positional []string
	if cmd.Name == "serve" {
		// serve's own flags come before COMMAND; everything after it is the check's, untouched.
		i := 0
		for i < len(rest) && strings.HasPrefix(rest[i], "-") && rest[i] != "--" {
			flags = append(flags, rest[i])
			if name := flagName(rest[i]); values[name] && !strings.Contains(rest[i], "=") && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
			i++
		}
		if i < len(rest) && rest[i] == "--" {
			i++
		}
		return append(append(append(out, flags...), "--"), rest[i:]...)
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case len(a) > 1 && strings.HasPrefix(a, "-"):
			name := flagName(a)
			if !known[name] && !strings.HasPrefix(a, "--") && len(name) > 1 && values[name[:1]] {
				// -ojson: a one-letter flag glued to its value.
				flags = append(flags, "-"+name[:1], a[2:])
				continue
			}
			flags = append(flags, a)
			if values[name] && !strings.Contains(a, "=") && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	out = append(out, flags...)
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

func rest0(s []string) string { return s[len(s)-1] }

// flagName is the name in -x, --name or --name=value.
func flagName(a string) string {
	name := strings.TrimLeft(a, "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

// takesValue reports whether a flag takes a value (--region R), unlike a switch (--dry-run).
func takesValue(f cli.Flag) bool {
	tv, ok := f.(interface{ TakesValue() bool })
	return ok && tv.TakesValue()
}

// takesValueAnywhere reports whether name takes a value on any command (for flags given
// before the command is known).
func takesValueAnywhere(app *cli.App, name string) bool {
	for _, c := range app.Commands {
		for _, f := range c.Flags {
			if slices.Contains(f.Names(), name) {
				return takesValue(f)
			}
		}
	}
	return false
}

// typedFlags are the flag names present on a normalized command line (before any `--`).
func typedFlags(args []string) map[string]bool {
	m := map[string]bool{}
	for _, a := range args {
		if a == "--" {
			break
		}
		if len(a) > 1 && strings.HasPrefix(a, "-") {
			m[flagName(a)] = true
		}
	}
	return m
}
