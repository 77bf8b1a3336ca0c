package procstat

import "testing"

func TestFieldsSkipsAnyCommandName(t *testing.T) {
	f, err := Fields([]byte("42 (a) (b c)) S 1 42 42 0 -1\n"))
	if err != nil || len(f) != 6 || f[0] != "S" || f[1] != "1" {
		t.Fatalf("Fields = %q, %v", f, err)
	}
	if _, err := Fields([]byte("42 no parentheses")); err != ErrNoComm {
		t.Fatalf("a line without a command name: %v", err)
	}
}
