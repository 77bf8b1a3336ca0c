package store

import (
	"encoding/hex"
	"fmt"

	"golang.org/x/sys/unix"
)

// The ids and names come from getrandom(2) directly rather than crypto/rand,
// which does the same on Linux but links the FIPS module, whose package
// initialisers (self-checks, AES and SHA tables) ran on every start of urun
// and of its init stage: about 0.2 ms of each, measured with perf here.

// random fills b from the kernel's random pool.
func random(b []byte) {
	for len(b) > 0 {
		n, err := unix.Getrandom(b, 0)
		if err != nil && err != unix.EINTR {
			return
		}
		b = b[max(n, 0):]
	}
}

// NewID returns a fresh container id: 12 hex digits, like docker's short ids.
func NewID() string {
	var b [6]byte
	random(b[:])
	return hex.EncodeToString(b[:])
}

// validName is docker's rule for container names,
// ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, without a regular expression: compiling one
// in a package variable cost every start of urun (and of its init stage,
// which links this package) about 0.15 ms.
func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return name != ""
}

// CheckName says whether name can name a container.
func CheckName(name string) error {
	if len(name) > 128 || !validName(name) {
		return fmt.Errorf("invalid container name %q: use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 128)", name)
	}
	return nil
}

var (
	adjectives = []string{"admiring", "agile", "amazing", "bold", "brave", "busy", "calm", "clever",
		"cool", "eager", "elated", "fervent", "festive", "gentle", "happy", "hopeful", "jolly",
		"keen", "kind", "lucid", "modest", "nifty", "noble", "quirky", "relaxed", "serene",
		"sharp", "stoic", "sweet", "tender", "upbeat", "vivid", "wise", "witty", "zealous"}
	nouns = []string{"babbage", "bell", "bohr", "curie", "darwin", "dijkstra", "einstein", "euler",
		"fermat", "gauss", "goodall", "hopper", "hypatia", "kepler", "knuth", "lamport",
		"lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "thompson",
		"torvalds", "turing", "volta", "wozniak", "yalow"}
)

// randomName is a docker-style adjective_noun name.
func randomName() string {
	// Two bytes each: the modulo's bias (under 0.1% for lists of ~30) does
	// not matter for a name that only has to read well.
	var b [4]byte
	random(b[:])
	pick := func(s []string, r []byte) string {
		return s[(int(r[0])<<8|int(r[1]))%len(s)]
	}
	return pick(adjectives, b[:2]) + "_" + pick(nouns, b[2:])
}
