package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse/gatehouse/internal/config"
)

// errUsage means the usage has already been printed.
var errUsage = errors.New("usage")

// env is what a command reads from the outside world.
type env struct {
	getenv func(string) string
	// environ lists the environment (os.Environ), so that configuration
	// can tell an unknown GATEHOUSE_ variable; nil skips that check.
	environ func() []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	// listening, when set, is told the address the server listens on
	// (tests start the server on port 0).
	listening func(addr string)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "Run the HTTP server (the default command).", serve},
		{"migrate", "Apply, roll back or list database migrations: migrate up|down|status.", migrateCmd},
		{"users", "Create the first admin user or import accounts: users create|import.", usersCmd},
		{"import", "Import another store's accounts, keeping their ids: import medusa --from postgres://… [--dry-run].", importCmd},
		{"keys", "Rotate or list the token-signing keys: keys rotate [--now]|list.", keysCmd},
		{"prune", "Delete expired sessions, tokens, events and anonymous shoppers now: prune [--dry-run].", pruneCmd},
		{"subscribers", "List, enable or disable the fleet's event subscribers: subscribers list|enable|disable.", subscribersCmd},
		{"emails", "Report stored emails that normalization makes collide or invalid: emails check.", emailsCmd},
		{"version", "Print the version.", versionCmd},
	}
}

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, environ func() []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return runEnv(ctx, env{getenv: getenv, environ: environ, stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

func runEnv(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" && args[0] != "-help" {
		return serve(ctx, e, args)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		printUsage(e.stdout)
		return nil
	}
	printUsage(e.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gatehouse [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `gatehouse <command> --help` for a command's flags. Settings come from")
	fmt.Fprintln(w, "GATEHOUSE_* environment variables; `gatehouse serve --help` lists them.")
}

// newFlagSet returns a flag set that prints its usage (with the given
// synopsis) to stdout for --help and to stderr for a mistake.
func newFlagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gatehouse %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; --help prints usage to stdout and returns
// errHelp, which callers turn into a clean exit.
func parseFlags(fs *flag.FlagSet, e env, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return errHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

var errHelp = errors.New("help")

// settingsHelp lists every environment setting, secrets without values.
func settingsHelp(w io.Writer) {
	fmt.Fprintln(w, "\nEnvironment:")
	for _, s := range config.Settings() {
		def := s.Default
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(w, "  %s (default: %s)\n      %s\n", s.Name, def, s.Description)
	}
}

// quiet turns errHelp into success.
func quiet(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}
