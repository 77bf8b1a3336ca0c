package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
)

// NewID returns a fresh container id: 12 hex digits, like docker's short ids.
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validName is docker's rule for container names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// CheckName says whether name can name a container.
func CheckName(name string) error {
	if len(name) > 128 || !validName.MatchString(name) {
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
	pick := func(s []string) string {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(s))))
		if err != nil {
			return s[0]
		}
		return s[n.Int64()]
	}
	return pick(adjectives) + "_" + pick(nouns)
}
