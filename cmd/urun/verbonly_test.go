package main

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// sameAsWholeCLI parses args with the one-verb parser (which verbParser must
// give) and with a fresh whole CLI, and fails t where they differ: a help
// request (errHelp, the whole CLI's help), the error, the verb's flags and
// arguments, the global flags.
func sameAsWholeCLI(t *testing.T, args []string) {
	t.Helper()
	p, g, err := verbParser(args)
	if p == nil || err != nil {
		t.Fatalf("verbParser(%q) = %v, %v: want a parser", args, p, err)
	}
	_, verr := p.Parse(args)
	var whole CLI
	// The whole CLI's help, caught instead of printed.
	wp, err := newParser(&whole, kong.Help(func(kong.HelpOptions, *kong.Context) error { return errHelp }))
	if err != nil {
		t.Fatal(err)
	}
	_, werr := wp.Parse(args)
	if errors.Is(werr, errHelp) != errors.Is(verr, errHelp) {
		t.Fatalf("%q: whole CLI's help %v, one-verb's %v", args, errors.Is(werr, errHelp), errors.Is(verr, errHelp))
	}
	if (werr == nil) != (verr == nil) || (werr != nil && werr.Error() != verr.Error()) {
		t.Fatalf("%q: whole CLI error %v, one-verb error %v", args, werr, verr)
	}
	if werr != nil {
		return
	}
	one := p.Model.Target
	verb := one.Type().Field(1).Name
	if got, want := one.Field(1).Interface(), reflect.ValueOf(whole).FieldByName(verb).Interface(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q parses differently:\nwhole    %+v\none-verb %+v", args, want, got)
	}
	if g != one.Field(0).Addr().Interface() || !reflect.DeepEqual(*g, whole.Globals) {
		t.Fatalf("%q: global flags %+v, want %+v", args, *g, whole.Globals)
	}
}

// The one-verb parser is a shortcut: `urun VERB ...` must parse exactly as
// with the whole CLI (the verb's flags and arguments, the global flags, the
// errors, a help request), and anything else must take the whole CLI.
func TestVerbParserParsesAsTheWholeCLI(t *testing.T) {
	var cases [][]string
	// Every verb, alone (most then lack an argument: the same error).
	cli := reflect.TypeFor[CLI]()
	for i := 0; i < cli.NumField(); i++ {
		if _, ok := cli.Field(i).Tag.Lookup("cmd"); ok {
			cases = append(cases, []string{dashed(cli.Field(i).Name)})
		}
	}
	for _, args := range append(cases, [][]string{
		{"run", "--network", "none", "-e", "A=1", "--pids-limit", "-1", "-w", "/tmp", "./rootfs", "ls", "-l", "--pids-limit", "-2"},
		{"run", "-d", "--name", "x", "--rm", "-p", "127.0.0.1:8080:80", "--memory", "64m", "./rootfs"},
		{"run", "-it", "--userns", "keep-id", "--security-opt", "no-new-privileges", "--init", "./rootfs", "sh"},
		{"run", "--bundle", "/b", "id"},
		// The default verb: urun ROOTFS CMD.
		{"./rootfs", "ls", "-l"},
		{"--root", "/x", "./rootfs", "sh"},
		{"sate", "id"},       // no verb: a rootfs named so
		{"Run", "./rootfs"},  // nor this
		{"globals"},          // a field of CLI, not a verb
		{"images-x", "--rm"}, // run's flag after the rootfs: the command's
		{"./rootfs", "--help"},
		// An engine's calls: global flags before the verb, with values
		// apart or after '='.
		{"--root", "/run/x", "--log", "/l.json", "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/b", "--pid-file", "/p", "id"},
		{"--root=/run/x", "--log-format=json", "state", "id"},
		{"--debug", "start", "id"},
		{"kill", "--all", "id", "KILL"},
		{"delete", "--force", "id"},
		{"exec", "-it", "-e", "A=1", "-w", "/", "id", "sh", "-c", "echo"},
		{"ps", "-a"},
		{"stop", "-t", "3", "a", "b"},
		{"pull", "--quiet", "docker.io/library/busybox"},
		{"monitor", "id"},
		// Help, in each spelling: the whole CLI's.
		{"run", "--help"},
		{"run", "-h"},
		{"exec", "-ih"},
		{"--root", "/x", "state", "--help=1"},
		{"run", "./rootfs", "ls", "-lh"}, // the command's flag, not urun's
		{"pull", "--help"},               // the image helper's
		// Errors too: a one-verb model has no help texts, and needs none.
		{"run", "--no-such-flag", "./rootfs"},
		{"run", "--pull", "sometimes", "img"},
		{"run", "--memory"},
		{"exec", "--no-such", "id", "sh"},
		{"--log-format", "yaml", "state", "id"},
		{"kill", "id", "NOSUCHSIGNAL", "extra"},
	}...) {
		sameAsWholeCLI(t, args)
	}
	for _, args := range [][]string{
		nil,
		{"--root"},                        // no verb after the flags
		{"--no-such", "ps"},               // not a global flag
		{"-q", "ps"},                      // nor this
		{"--network", "none", "./rootfs"}, // run's flag, before the default verb's rootfs
		{"-h"},
	} {
		if p, _, _ := verbParser(args); p != nil {
			t.Errorf("verbParser(%q) took the shortcut; want the whole CLI", args)
		}
	}
}

// Whatever the arguments, the shortcut, when it takes them, parses them as
// the whole CLI does. Arguments are the input split at NUL bytes.
func FuzzVerbParser(f *testing.F) {
	for _, s := range []string{
		"run\x00--network\x00none\x00./rootfs\x00true",
		"--root\x00/x\x00--log-format\x00json\x00create\x00--bundle\x00/b\x00id",
		"--log=/l\x00--debug\x00state\x00id",
		"exec\x00-it\x00id\x00sh",
		"kill\x00--all\x00id\x00TERM",
		"ps\x00-a\x00--help",
		"./rootfs\x00sh\x00-c\x00exit 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if p, _, err := verbParser(args); p != nil && err == nil {
			sameAsWholeCLI(t, args)
		}
	})
}

// The verbs the shortcut knows are the whole CLI's, by the same names.
func TestVerbsAreKongs(t *testing.T) {
	wp := wholeModel(t)
	var kongs []string
	for _, c := range wp.Model.Children {
		kongs = append(kongs, c.Name)
		kongs = append(kongs, c.Aliases...)
		if f, ok := verbs()[c.Name]; !ok || wp.Model.Target.FieldByIndex(f.Index).Addr().Interface() != c.Target.Addr().Interface() {
			t.Errorf("verb %q: field %v, %v; kong's is %v", c.Name, f.Name, ok, c.Target.Type())
		}
	}
	sameNames(t, "verbs", verbs(), kongs)
}

// The global flags the shortcut skips before the verb are the whole CLI's,
// with the same names and values.
func TestGlobalFlagsAreKongs(t *testing.T) {
	var kongs []string
	for _, f := range wholeModel(t).Model.Flags {
		if f.Name != "help" {
			kongs = append(kongs, f.Name)
			if takes := globalFlags()[f.Name]; takes != !f.IsBool() {
				t.Errorf("--%s: takes a value %v, kong says %v", f.Name, takes, !f.IsBool())
			}
		}
	}
	sameNames(t, "global flags", globalFlags(), kongs)
}

// wholeModel is the whole CLI's parser.
func wholeModel(t *testing.T) *kong.Kong {
	t.Helper()
	var whole CLI
	wp, err := newParser(&whole)
	if err != nil {
		t.Fatal(err)
	}
	return wp
}

// sameNames fails t when the names ours knows are not kong's.
func sameNames[V any](t *testing.T, what string, ours map[string]V, kongs []string) {
	t.Helper()
	slices.Sort(kongs)
	if got := slices.Sorted(maps.Keys(ours)); !slices.Equal(got, kongs) {
		t.Errorf("%s %q, kong's %q", what, got, kongs)
	}
}

func BenchmarkVerbParser(b *testing.B) {
	for name, args := range map[string][]string{
		"run":   {"run", "--network", "none", "./rootfs", "/bin/true"},
		"state": {"--root", "/run/x", "--log-format", "json", "state", "id"},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, _, err := verbParser(args)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Parse(args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWholeCLIParser(b *testing.B) {
	args := []string{"--root", "/run/x", "--log-format", "json", "state", "id"}
	for b.Loop() {
		var cli CLI
		p, err := newParser(&cli)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Parse(args); err != nil {
			b.Fatal(err)
		}
	}
}
