package spec

import "testing"

func TestParseSecurityOpts(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want SecurityOpts
		err  bool
	}{
		{nil, SecurityOpts{}, false},
		{[]string{"seccomp=unconfined"}, SecurityOpts{Seccomp: "unconfined"}, false},
		{[]string{"seccomp=/x/p.json", "no-new-privileges"}, SecurityOpts{Seccomp: "/x/p.json", NoNewPrivileges: true}, false},
		{[]string{"no-new-privileges:true"}, SecurityOpts{NoNewPrivileges: true}, false},
		{[]string{"no-new-privileges", "no-new-privileges=false"}, SecurityOpts{}, false},
		{[]string{"label=disable", "apparmor=unconfined"}, SecurityOpts{}, false},
		{[]string{"seccomp="}, SecurityOpts{}, true},
		{[]string{"no-new-privileges=maybe"}, SecurityOpts{}, true},
		{[]string{"bogus"}, SecurityOpts{}, true},
	} {
		got, err := ParseSecurityOpts(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseSecurityOpts(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParseSecurityOpts(f *testing.F) {
	f.Add("seccomp=unconfined")
	f.Add("no-new-privileges:false")
	f.Fuzz(func(t *testing.T, s string) {
		if so, err := ParseSecurityOpts([]string{s}); err == nil && so.Seccomp == "" && so.NoNewPrivileges && s != "no-new-privileges" && s != "no-new-privileges=true" && s != "no-new-privileges:true" {
			t.Fatalf("%q set no-new-privileges", s)
		}
	})
}
