package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
)

// plainUnpack extracts regular files and directories: enough for the
// store's logic (the rootless unpack is package archive's).
func plainUnpack(_ context.Context, r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			b, _ := io.ReadAll(tr)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
		}
	}
}

func layer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, c := range files {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg})
		tw.Write([]byte(c))
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func testImage(t *testing.T, files ...map[string]string) v1.Image {
	img := empty.Image
	for _, f := range files {
		var err error
		if img, err = mutate.AppendLayers(img, layer(t, f)); err != nil {
			t.Fatal(err)
		}
	}
	cf, _ := img.ConfigFile()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"/bin/true"}
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func newRegistry(t *testing.T) string {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image) {
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func newStore(t *testing.T) *Store {
	return &Store{Store: imagestore.Store{Root: t.TempDir()}, Unpack: plainUnpack}
}

func TestPullStoresAndRmiFrees(t *testing.T) {
	reg := newRegistry(t)
	base := map[string]string{"etc/hostname": "base"}
	a := testImage(t, base, map[string]string{"a": "a"})
	b := testImage(t, base, map[string]string{"b": "b"})
	push(t, reg+"/x/a:1", a)
	push(t, reg+"/x/b:1", b)
	s := newStore(t)
	ctx := context.Background()
	ia, err := s.Pull(ctx, reg+"/x/a:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ib, err := s.Pull(ctx, reg+"/x/b:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ia.Layers[0] != ib.Layers[0] {
		t.Fatalf("the shared base layer has two diff ids: %v %v", ia.Layers, ib.Layers)
	}
	if got, err := os.ReadFile(filepath.Join(s.LayerDirs(ia)[1], "etc/hostname")); err != nil || string(got) != "base" {
		t.Fatalf("base layer: %q %v", got, err)
	}
	got, err := s.Lookup(reg + "/x/a:1")
	if err != nil || got.ID != ia.ID {
		t.Fatalf("lookup: %v %v", got, err)
	}
	if _, err := s.Lookup(imagestore.ShortID(ia.ID)); err != nil {
		t.Fatalf("lookup by id: %v", err)
	}
	_, mark, err := s.Use(reg + "/x/a:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove([]string{reg + "/x/a:1"}, false); err == nil || !strings.Contains(err.Error(), "running container") {
		t.Fatalf("rmi of an image in use: %v", err)
	}
	mark.Release()
	if _, err := s.Remove([]string{reg + "/x/a:1"}, false); err != nil {
		t.Fatal(err)
	}
	if exists(s.LayerDir(ia.Layers[1])) || exists(s.BlobPath(ia.ID)) {
		t.Fatal("rmi left a's own layer or config")
	}
	if !exists(s.LayerDir(ia.Layers[0])) {
		t.Fatal("rmi removed the layer b still uses")
	}
	if _, err := s.Remove([]string{reg + "/x/b:1"}, false); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"blobs/sha256", "layers/sha256", "tmp", "inuse"} {
		if ents, _ := os.ReadDir(filepath.Join(s.Root, d)); len(ents) != 0 {
			t.Fatalf("%s not empty after removing every image: %v", d, ents)
		}
	}
}

// imagestore reads the run defaults from the config the pull stored, with
// its own small decoder (urun does not link go-containerregistry's).
func TestResolveReadsTheRunDefaultsOfAPulledImage(t *testing.T) {
	reg := newRegistry(t)
	img := testImage(t, map[string]string{"a": "a"}, map[string]string{"b": "b"})
	cf, _ := img.ConfigFile()
	cf.Config.Entrypoint = []string{"/bin/sh", "-c"}
	cf.Config.Cmd = []string{"echo hi"}
	cf.Config.Env = []string{"A=1", "PATH=/bin"}
	cf.Config.WorkingDir = "/srv"
	cf.Config.User = "1000:1000"
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "53/udp": {}}
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	push(t, reg+"/x/run:1", img)
	s := newStore(t)
	im, err := s.Pull(context.Background(), reg+"/x/run:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, mark, needPull, err := imagestore.ResolveStored(s.Root, imageproto.Request{Ref: reg + "/x/run:1", Pull: "missing"})
	if err != nil || needPull {
		t.Fatalf("resolve: %v, pull %v", err, needPull)
	}
	defer mark.Release()
	want := imageproto.Resolved{
		Layers:     s.LayerDirs(im),
		Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd, Env: cf.Config.Env,
		WorkingDir: "/srv", User: "1000:1000", ExposedPorts: []string{"53/udp", "8080/tcp"},
	}
	if !reflect.DeepEqual(*res, want) {
		t.Fatalf("resolved %+v, want %+v", *res, want)
	}
	if len(res.Layers) != 2 || res.Layers[0] != s.LayerDir(im.Layers[1]) {
		t.Fatalf("layers not uppermost first: %v (diff ids %v)", res.Layers, im.Layers)
	}
	// The run holds the image: rmi refuses it until the mark is released.
	if _, err := s.Remove([]string{reg + "/x/run:1"}, false); err == nil {
		t.Fatal("rmi removed an image a run holds")
	}
	// Not stored: a pull is due, or the one line of --pull=never.
	if _, _, needPull, err := imagestore.ResolveStored(s.Root, imageproto.Request{Ref: "busybox", Pull: "missing"}); err != nil || !needPull {
		t.Fatalf("missing image: %v, pull %v", err, needPull)
	}
	if _, _, _, err := imagestore.ResolveStored(s.Root, imageproto.Request{Ref: "busybox", Pull: "never"}); err == nil || !strings.Contains(err.Error(), "--pull=never") {
		t.Fatalf("missing image, --pull=never: %v", err)
	}
	if _, _, needPull, err := imagestore.ResolveStored(s.Root, imageproto.Request{Ref: reg + "/x/run:1", Pull: "always"}); err != nil || !needPull {
		t.Fatalf("--pull=always: %v, pull %v", err, needPull)
	}
}

func TestPullPlatformMissingNamesThoseThere(t *testing.T) {
	reg := newRegistry(t)
	img := testImage(t, map[string]string{"a": "a"})
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	r, _ := name.ParseReference(reg + "/multi:1")
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	_, err := s.Pull(context.Background(), reg+"/multi:1", PullOptions{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}})
	if err == nil || !strings.Contains(err.Error(), "linux/amd64, linux/arm64/v8") {
		t.Fatalf("want the platforms named, got %v", err)
	}
	im, err := s.Pull(context.Background(), reg+"/multi:1", PullOptions{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}})
	if err != nil || im.Platform != "linux/arm64/v8" {
		t.Fatalf("arm64: %v %v", im, err)
	}
}

func TestPullNotFound(t *testing.T) {
	reg := newRegistry(t)
	s := newStore(t)
	_, err := s.Pull(context.Background(), reg+"/nothing:1", PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line saying not found, got %v", err)
	}
}

func TestAddRefusesWrongDiffID(t *testing.T) {
	img := testImage(t, map[string]string{"a": "a"})
	cf, _ := img.ConfigFile()
	cf.RootFS.DiffIDs[0] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	bad, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	if _, err := s.Add(context.Background(), "x/bad:1", bad, ""); err == nil || !strings.Contains(err.Error(), "diff id") {
		t.Fatalf("want a diff id error, got %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root, "layers/sha256")); len(ents) != 0 {
		t.Fatalf("a refused layer was kept: %v", ents)
	}
	if ims, _ := s.List(); len(ims) != 0 {
		t.Fatalf("a refused image is listed: %v", ims)
	}
}

func TestPutBlobRefusesWrongDigest(t *testing.T) {
	s := newStore(t)
	s.Ensure()
	err := s.putBlob(context.Background(), digestOf([]byte("good")), strings.NewReader("evil"), nil)
	if _, ok := err.(*DigestError); !ok {
		t.Fatalf("want a DigestError, got %v", err)
	}
	if exists(s.BlobPath(digestOf([]byte("good")))) {
		t.Fatal("the blob was stored")
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root, "tmp")); len(ents) != 0 {
		t.Fatalf("temp files left: %v", ents)
	}
}

func TestParsePlatform(t *testing.T) {
	p, err := ParsePlatform("linux/arm64/v8")
	if err != nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"", "linux", "linux/", "/amd64", "a/b/c/d", "linux/amd 64"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm64/v8", "", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if FormatPlatform(p) != s {
			t.Fatalf("%q round-trips to %q", s, FormatPlatform(p))
		}
	})
}

func TestPullOCIManifestAndLoadLayoutTarball(t *testing.T) {
	reg := newRegistry(t)
	img := testImage(t, map[string]string{"etc/hostname": "oci"})
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	push(t, reg+"/oci:1", img)
	s := newStore(t)
	im, err := s.Pull(context.Background(), reg+"/oci:1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(s.LayerDirs(im)[0], "etc/hostname")); err != nil || string(b) != "oci" {
		t.Fatalf("OCI image's layer: %q %v", b, err)
	}

	// The same image as an OCI layout in a tarball.
	dir := t.TempDir()
	p, err := layout.Write(filepath.Join(dir, "l"), empty.Index)
	if err == nil {
		err = p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "example.org/l:1"}))
	}
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "l.tar")
	if out, err := exec.Command("tar", "-C", filepath.Join(dir, "l"), "-cf", tarPath, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	s2 := newStore(t)
	ims, err := s2.Load(context.Background(), tarPath)
	if err != nil || len(ims) != 1 || ims[0].Name != "example.org/l:1" || ims[0].ID != im.ID {
		t.Fatalf("load of an OCI layout tarball: %v %v", ims, err)
	}
	if _, err := s2.Load(context.Background(), "/etc/hostname"); err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("load of a non-archive: want one line, got %v", err)
	}
}
