package main

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/alecthomas/kong"
)

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// parsed is what one parse leaves: the selected command, the run flags and
// the error, for comparing the prefix parse with kong's own.
func parsed(t *testing.T, args []string, parse func(*kong.Kong, []string) (*kong.Context, error)) string {
	t.Helper()
	var cli CLI
	parser, err := kong.New(&cli, kong.Name("urun"), imageVars(), kong.Exit(func(int) { t.Fatal("kong exited") }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := parse(parser, args)
	cmd := ""
	if ctx != nil {
		cmd = ctx.Command()
	}
	return fmt.Sprintf("%s %v %#v", cmd, err, cli.Run)
}

// TestManyArgumentsParseAsKongDoes checks the linear parse against kong's
// own on lines around the prefix's edge: flags after the rootfs, "--",
// options that take values, and more flags than the prefix holds.
func TestManyArgumentsParseAsKongDoes(t *testing.T) {
	n := kongArgsMax
	many := numbered("a", 2*n)
	envs := make([]string, 0, 2*n)
	for i := 0; i < n; i++ {
		envs = append(envs, "-e", "V"+strconv.Itoa(i)+"=1")
	}
	cases := map[string][]string{
		"plain":                cat([]string{"run", "--network", "none", "/r", "/bin/true"}, many),
		"default verb":         cat([]string{"/r", "echo"}, many),
		"flags after rootfs":   cat([]string{"/r", "-e", "A=1", "--hostname", "h", "env"}, many),
		"unknown flag":         cat([]string{"/r", "-l"}, many),
		"double dash":          cat([]string{"run", "-q", "--", "/r", "--", "x"}, many),
		"value at the edge":    cat([]string{"run"}, envs[:n-2], []string{"--hostname", "h", "/r", "x"}, many),
		"flags past the edge":  cat([]string{"run"}, envs, []string{"/r", "x"}, many),
		"rootfs past the edge": cat([]string{"run"}, envs[:n], []string{"/r", "cmd"}, many),
		"no command in prefix": cat([]string{"run"}, envs[:n-2], []string{"/r"}, []string{"-q"}, many),
		"bad flag":             cat([]string{"run", "--nope", "/r"}, many),
		"other verb":           cat([]string{"version"}, many),
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			want := parsed(t, args, (*kong.Kong).Parse)
			got := parsed(t, args, parseArgs)
			if got != want {
				t.Errorf("prefix parse differs from kong's:\n got %.300s\nwant %.300s", got, want)
			}
		})
	}
}
