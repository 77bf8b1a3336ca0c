package image

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Keychain finds credentials as docker and podman users keep them:
// ~/.docker/config.json first (go-containerregistry's default keychain),
// then podman's $XDG_RUNTIME_DIR/containers/auth.json (or
// $REGISTRY_AUTH_FILE). The default keychain reads podman's file only when
// docker's is missing, so a user with both would never reach podman's: this
// keychain asks each in turn. Anonymous when none has the registry.
func Keychain() authn.Keychain {
	return authn.NewMultiKeychain(authn.DefaultKeychain, &podmanKeychain{files: podmanAuthFiles()})
}

func podmanAuthFiles() []string {
	var files []string
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		files = append(files, f)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	}
	return files
}

// authFile is the part of podman's (and docker's) auth.json we read.
type authFile struct {
	Auths map[string]authn.AuthConfig `json:"auths"`
}

// podmanKeychain reads podman's auth.json files, first file first.
type podmanKeychain struct {
	files []string
	once  sync.Once
	auths []map[string]authn.AuthConfig
	err   error
}

func (k *podmanKeychain) load() {
	for _, f := range k.files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var af authFile
		if err := json.Unmarshal(b, &af); err != nil {
			k.err = fmt.Errorf("credentials file %s is not valid JSON (%v); fix or remove it", f, err)
			return
		}
		k.auths = append(k.auths, af.Auths)
	}
}

// authKey reduces an auths key to the registry host: podman writes
// "host[/namespace]", docker "https://host/v1/".
func authKey(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k, _, _ = strings.Cut(k, "/")
	if k == "index.docker.io" || k == "registry-1.docker.io" {
		k = "docker.io"
	}
	return k
}

// Resolve implements authn.Keychain.
func (k *podmanKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	k.once.Do(k.load)
	if k.err != nil {
		return nil, k.err
	}
	want := authKey(target.RegistryStr())
	for _, auths := range k.auths {
		for key, cfg := range auths {
			if authKey(key) == want {
				return authn.FromConfig(cfg), nil
			}
		}
	}
	return authn.Anonymous, nil
}
