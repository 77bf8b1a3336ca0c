package imagestore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// This file reads an image reference as go-containerregistry's pkg/name
// does (with docker's defaults: docker.io, library/, latest), step for step,
// so that urun can find a stored image without linking that package:
// pkg/name pulls in go-digest, whose regular expressions take 0.3 ms and
// 118 KB of heap to compile at the start of every urun process, rootfs runs
// included. Package image, which pulls, parses with pkg/name itself, and its
// fuzz test (FuzzNormalizeNameAgreesWithPkgName) holds the two to the same
// answer for every input.

const (
	tagChars        = "abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	repositoryChars = "abcdefghijklmnopqrstuvwxyz0123456789_-./"
	hubRegistry     = "index.docker.io"
)

// ref is a parsed reference: the registry and repository in full
// (index.docker.io, library/ added), and a tag or a digest.
type ref struct {
	registry, repository, tag, digest string
}

// name is the reference as the store keeps it: docker.io rather than
// index.docker.io.
func (r ref) name() string {
	reg := r.registry
	if reg == hubRegistry {
		reg = "docker.io"
	}
	if r.digest != "" {
		return reg + "/" + r.repository + "@" + r.digest
	}
	return reg + "/" + r.repository + ":" + r.tag
}

// NormalizeName is the name the store keeps for an image reference
// (docker's expansion: busybox is docker.io/library/busybox:latest), or the
// one line saying why s is no reference.
func NormalizeName(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errors.New("empty image reference; give one such as busybox, debian:bookworm or registry.example:5000/app@sha256:DIGEST")
	}
	r, err := parseRef(s)
	if err != nil {
		return "", fmt.Errorf("image reference %q does not parse (%v); write [REGISTRY/]NAME[:TAG|@sha256:DIGEST] in lower case", s, err)
	}
	return r.name(), nil
}

func parseRef(s string) (ref, error) {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return ref{}, errors.New("a reference has no URL scheme; for a plain-http registry use --tls-verify=false")
	}
	r, err := parseTag(s)
	if err != nil {
		var derr error
		if r, derr = parseDigest(s); derr != nil {
			if strings.Contains(s, "@") {
				err = derr
			}
			return ref{}, err
		}
	}
	// The short form is checked before docker.io's "library/" is added; the
	// name in full must hold to the limit too (the store keeps it in full).
	if utf8.RuneCountInString(r.repository) > 255 {
		return ref{}, fmt.Errorf("the repository name %s is over 255 characters", r.repository)
	}
	return r, nil
}

// parseTag reads [REGISTRY/]REPOSITORY[:TAG] (pkg/name's NewTag).
func parseTag(s string) (ref, error) {
	base, tag := s, ""
	// The last colon starts a tag unless a slash follows it (a port).
	if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[i+1:], "/") {
		base, tag = s[:i], s[i+1:]
		if tag == "" {
			return ref{}, errors.New("nothing follows the colon; give a tag after it")
		}
		if !element(tag, tagChars, 128) {
			return ref{}, fmt.Errorf("the tag %q is not 1 to 128 of the characters %s", tag, tagChars)
		}
	} else {
		tag = "latest"
	}
	reg, repo, err := parseRepository(base)
	if err != nil {
		return ref{}, err
	}
	return ref{registry: reg, repository: repo, tag: tag}, nil
}

// parseDigest reads [REGISTRY/]REPOSITORY[:TAG]@DIGEST (pkg/name's
// NewDigest: a tag before the digest is dropped).
func parseDigest(s string) (ref, error) {
	parts := strings.Split(s, "@")
	if len(parts) != 2 {
		return ref{}, errors.New("a digest reference has exactly one @")
	}
	if !validDigest(parts[1]) {
		return ref{}, fmt.Errorf("%q is not a digest (sha256: and 64 lower-case hex digits)", parts[1])
	}
	base := parts[0]
	if t, err := parseTag(base); err == nil {
		// pkg/name parses the repository again in full (library/ added).
		base = t.registry + "/" + t.repository
	}
	reg, repo, err := parseRepository(base)
	if err != nil {
		return ref{}, err
	}
	return ref{registry: reg, repository: repo, digest: parts[1]}, nil
}

// parseRepository reads [REGISTRY/]REPOSITORY (pkg/name's NewRepository and
// NewRegistry): the first part is the registry when it is localhost or holds
// a dot or a colon.
func parseRepository(s string) (registry, repository string, err error) {
	if s == "" {
		return "", "", errors.New("no repository name")
	}
	repository = s
	if first, rest, ok := strings.Cut(s, "/"); ok && (first == "localhost" || strings.ContainsAny(first, ".:")) {
		registry, repository = first, rest
	}
	if !element(repository, repositoryChars, 255) {
		return "", "", fmt.Errorf("the repository name %q is not 1 to 255 of the characters %s", repository, repositoryChars)
	}
	if u, err := url.Parse("//" + registry); err != nil || u.Host != registry {
		return "", "", fmt.Errorf("the registry %q is not a HOST[:PORT]", registry)
	}
	if registry == "" || registry == "docker.io" {
		registry = hubRegistry
	}
	if registry == hubRegistry && !strings.Contains(repository, "/") {
		repository = "library/" + repository
	}
	return registry, repository, nil
}

// element says whether e is 1 to max runes, each of them in allowed.
func element(e, allowed string, max int) bool {
	if n := utf8.RuneCountInString(e); n < 1 || n > max {
		return false
	}
	for _, r := range e {
		if !strings.ContainsRune(allowed, r) {
			return false
		}
	}
	return true
}

// validDigest says whether d is ALGORITHM:HEX for an algorithm go-digest
// knows, with the hex of its length in lower case.
func validDigest(d string) bool {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || alg == "" {
		return false
	}
	var size int
	switch alg {
	case "sha256":
		size = 32
	case "sha384":
		size = 48
	case "sha512":
		size = 64
	default:
		return false
	}
	if len(hex) != 2*size {
		return false
	}
	return strings.Trim(hex, "0123456789abcdef") == ""
}
