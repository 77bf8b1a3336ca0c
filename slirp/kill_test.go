package slirp

import "testing"

func TestTaskExiting(t *testing.T) {
	for _, c := range []struct {
		stat string
		want bool
	}{
		// A sleeping slirp4netns: flags 4194560 (PF_RANDOMIZE|PF_FORKNOEXEC).
		{"4497 (slirp4netns) S 4479 4497 7492 0 -1 4194560 188 64 3 0", false},
		{"4497 (slirp4netns) R 4479 4497 7492 0 -1 4194564 188 64 3 0", true},
		{"4497 (slirp4netns) Z 4479 4497 7492 0 -1 4194560 188 64 3 0", true},
		// A name with ") S" in it does not fool the parser.
		{"4497 (a) S 1 2 3 (b) S 4479 4497 7492 0 -1 4194560 1", false},
		{"4497 (slirp4netns) S 4479", false},
		{"garbage", false},
	} {
		if got := taskExiting([]byte(c.stat)); got != c.want {
			t.Errorf("taskExiting(%q) = %v, want %v", c.stat, got, c.want)
		}
	}
}
