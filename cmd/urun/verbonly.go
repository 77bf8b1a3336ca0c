package main

import (
	"errors"
	"reflect"
	"strings"
	"unicode"

	"github.com/alecthomas/kong"
)

// verbParser returns a parser whose model holds the global flags and the one
// verb args name (or the default verb's, run, for urun ROOTFS CMD), or nil
// when args take the whole CLI: no argument but flags, or a flag before the
// verb that is not a global one. A help request, in whatever spelling
// kong takes (-h, --help, -ih), fails its parse with errHelp: the text lists
// the other verbs, and the model has no texts; the caller then parses with
// the whole CLI.
//
// kong.New reflects over every verb's flags and tags to build its model and
// interpolates ${vars} into every help text with a regular expression: for
// the whole CLI that was 8 ms of CPU of each start here (a third of what
// `urun version` costs), where one verb's model without help texts takes
// under 1 ms. `urun ROOTFS CMD` and `urun run ...`, which CI jobs type
// thousands of times, and the OCI verbs an engine calls for each container
// (create, start, state, kill, delete) need one verb's model. The parse of
// the arguments is the same as with the whole CLI: the same struct types,
// tags and options (TestVerbParserParsesAsTheWholeCLI, FuzzVerbParser).
func verbParser(args []string) (*kong.Kong, *Globals, error) {
	verb, ok := namedVerb(args)
	if !ok {
		return nil, nil, nil
	}
	// A struct of two fields, as CLI's: the global flags, and the verb's
	// field with its tag.
	typ := reflect.StructOf([]reflect.StructField{
		{Name: "Globals", Type: reflect.TypeFor[Globals](), Tag: `embed:""`},
		verb,
	})
	cli := reflect.New(typ)
	g := cli.Elem().Field(0).Addr().Interface().(*Globals)
	p, err := kong.New(cli.Interface(), append(parserOptions(g), kong.PostBuild(dropHelp),
		kong.Help(func(kong.HelpOptions, *kong.Context) error { return errHelp }))...)
	return p, g, err
}

// errHelp is a one-verb parse's answer to a help request.
var errHelp = errors.New("help is the whole CLI's")

// namedVerb returns CLI's field of the verb args name after any global
// flags (the default verb's when the first argument names none), and false
// when args take the whole CLI (see verbParser).
func namedVerb(args []string) (reflect.StructField, bool) {
	valued := globalFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if f, ok := verbs()[a]; ok {
				return f, true
			}
			// Not a verb's name: the default verb's first argument
			// (urun ROOTFS CMD), as kong takes it.
			return defaultVerb()
		}
		name, _, withValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		takesValue, global := valued[name]
		if !strings.HasPrefix(a, "--") || !global {
			return reflect.StructField{}, false
		}
		if takesValue && !withValue {
			i++ // its value
		}
	}
	return reflect.StructField{}, false
}

// defaultVerb returns CLI's field of the verb kong runs when args name none
// (run: urun ROOTFS CMD).
func defaultVerb() (reflect.StructField, bool) {
	t := reflect.TypeFor[CLI]()
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Tag.Get("default") == "withargs" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// globalFlags maps the name of each global flag (Globals' fields, named as
// kong names them: LogFormat is --log-format) to whether it takes a value.
func globalFlags() map[string]bool {
	t := reflect.TypeFor[Globals]()
	flags := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			flags[dashed(f.Name)] = f.Type.Kind() != reflect.Bool
		}
	}
	return flags
}

// dashed is kong's name of a field: LogFormat is log-format (kong splits
// runs of capitals otherwise, which no field of Globals or CLI has; the
// tests compare the names with kong's).
func dashed(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// verbs maps each name kong gives a verb of CLI (its field's name, dashed
// and in lower case, or its name tag, and its aliases) to that field.
func verbs() map[string]reflect.StructField {
	t := reflect.TypeFor[CLI]()
	m := make(map[string]reflect.StructField, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok {
			continue
		}
		name := f.Tag.Get("name")
		if name == "" {
			name = dashed(f.Name)
		}
		m[name] = f
		for _, alias := range strings.Split(f.Tag.Get("aliases"), ",") {
			if alias != "" {
				m[alias] = f
			}
		}
	}
	return m
}

// dropHelp empties the help texts of a one-verb model, which never prints
// them (a help request takes the whole CLI, see errHelp, and a parse error
// names the flag, not its help). kong.New interpolates ${vars} into every
// text with a regular expression, even one without a '$': for run's flags
// that was 1.5 ms of each start here, as much as building the model. It
// also leaves the image verbs' texts, which are variables of the whole CLI
// (imageVars), with nothing to interpolate.
func dropHelp(k *kong.Kong) error {
	return kong.Visit(k.Model.Node, func(v kong.Visitable, next kong.Next) error {
		switch v := v.(type) {
		case *kong.Node:
			v.Help, v.Detail = "", ""
		case *kong.Value:
			v.Help = ""
		}
		return next(nil)
	})
}
