package integration

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/urun-dev/urun/internal/testutil"
)

// A registry on loopback: Debian's docker-registry (the reference
// distribution server) with its storage in a temp dir.
type testRegistry struct {
	Addr    string
	Storage string
	cmd     *exec.Cmd
}

// registryPassword is the htpasswd user "urun"'s password; its bcrypt hash
// is fixed here so the test needs no htpasswd tool.
const (
	registryPassword = "pw"
	registryBcrypt   = "$2b$12$c0aZKx2jP5E.u1jwYCetHOZ.yV2RyjZlpm8DRIOvQBv2AZRXY7Gmy"
)

func loopbackAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startRegistry(t *testing.T, auth bool) *testRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("SKIP: docker-registry missing (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	r := &testRegistry{Addr: loopbackAddr(t), Storage: filepath.Join(dir, "storage")}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", r.Storage, r.Addr)
	if auth {
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte("urun:"+registryBcrypt+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: urun-test\n    path: %s\n", pw)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	var logs bytes.Buffer
	r.cmd.Stdout, r.cmd.Stderr = &logs, &logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	// Ready when /v2/ answers (200, or 401 with auth).
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 300 {
			t.Fatalf("docker-registry did not come up on %s: %v\n%s", r.Addr, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return r
}

func (r *testRegistry) push(t *testing.T, repo string, img v1.Image, opts ...remote.Option) string {
	t.Helper()
	ref, err := name.ParseReference(r.Addr + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref.String()
}

// tarLayer makes a layer of entries (name -> content; a name ending in /
// is a directory, a content starting with "->" a symlink).
func tarLayer(t *testing.T, entries map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := entries[n]
		h := &tar.Header{Name: n, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(c)), ModTime: time.Unix(1700000000, 0)}
		switch {
		case strings.HasSuffix(n, "/"):
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case strings.HasPrefix(c, "->"):
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, c[2:], 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(c))
		}
	}
	tw.Close()
	return bytesLayer(t, buf.Bytes())
}

func bytesLayer(t *testing.T, b []byte) v1.Layer {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dirLayer makes a layer of a directory tree, every entry owned by root.
func dirLayer(t *testing.T, dir string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = rel, 0, 0, "", ""
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	return bytesLayer(t, buf.Bytes())
}

func withConfig(t *testing.T, img v1.Image, f func(*v1.ConfigFile)) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Now().Add(-time.Hour)}
	f(cf)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// appImage is the busybox rootfs and two layers over it: the second adds
// /etc/deleted and /opq/old, a user and /app; the third deletes
// /etc/deleted (a whiteout) and makes /opq opaque with only /opq/new.
func appImage(t *testing.T, e *testutil.Env) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image,
		dirLayer(t, e.Rootfs),
		tarLayer(t, map[string]string{
			"etc/deleted": "gone\n", "opq/": "", "opq/old": "old\n", "app/": "",
		}),
		tarLayer(t, map[string]string{
			"etc/.wh.deleted": "", "opq/": "", "opq/.wh..wh..opq": "", "opq/new": "new\n",
			"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nappuser:x:1234:1234::/app:/bin/sh\n",
			"app/hello":  "hello from the image\n",
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return withConfig(t, img, func(cf *v1.ConfigFile) {
		cf.Config.Cmd = []string{"sh", "-c", `echo "user=$(id -u) pwd=$(pwd) greeting=$GREETING"`}
		cf.Config.Env = []string{"PATH=/bin:/sbin", "GREETING=hi"}
		cf.Config.WorkingDir = "/app"
		cf.Config.User = "appuser"
		cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	})
}

// imageEnv runs urun as the test user with its own image store.
type imageEnv struct {
	*testutil.Env
	Store string
	extra []string
}

func newImageEnv(t *testing.T) *imageEnv {
	e := user(t)
	ie := &imageEnv{Env: e, Store: filepath.Join(e.TempDir(t), "data")}
	return ie
}

func (ie *imageEnv) command(args ...string) *exec.Cmd {
	cmd := ie.Command(args...)
	cmd.Env = append(cmd.Env, "XDG_DATA_HOME="+ie.Store)
	cmd.Env = append(cmd.Env, ie.extra...)
	return cmd
}

func (ie *imageEnv) run(t *testing.T, stdin string, args ...string) testutil.Result {
	t.Helper()
	cmd := ie.command(args...)
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := testutil.Result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("urun %v: %v", args, err)
	}
	return r
}

func (ie *imageEnv) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := ie.run(t, "", args...)
	if r.Status != 0 {
		t.Fatalf("urun %v: status %d: %s", args, r.Status, r.Stderr)
	}
	return r.Stdout
}

// oneLine checks a failure: status 125 and one line on stderr containing want.
func oneLine(t *testing.T, r testutil.Result, want string) {
	t.Helper()
	if r.Status != 125 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("want status 125 and one line with %q; got %d: %q", want, r.Status, r.Stderr)
	}
}

func (ie *imageEnv) entries(t *testing.T, sub string) []string {
	ents, err := os.ReadDir(filepath.Join(ie.Store, "urun", sub))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPullImageAndRunByName(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	ref := reg.push(t, "app:1", appImage(t, ie.Env))

	r := ie.run(t, "", "pull", ref)
	if r.Status != 0 {
		t.Fatalf("pull: %d %s", r.Status, r.Stderr)
	}
	for _, want := range []string{"layer 1/3", "layer 3/3", "unpacked", "pulled " + ref} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("pull's progress (not a terminal: plain lines) lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stderr, "\r") {
		t.Errorf("plain progress has carriage returns: %q", r.Stderr)
	}
	list := ie.mustRun(t, "images")
	if !strings.Contains(list, "REPOSITORY") || !strings.Contains(list, reg.Addr+"/app") || !strings.Contains(list, strings.TrimSpace(r.Stdout)[7:19]) {
		t.Errorf("images does not list the pull:\n%s\n(id %s)", list, r.Stdout)
	}

	out := ie.mustRun(t, "run", "--network", "none", ref)
	if got := strings.TrimSpace(out); got != "user=1234 pwd=/app greeting=hi" {
		t.Errorf("the image's Cmd/User/WorkingDir/Env: got %q", got)
	}
	out = ie.mustRun(t, "run", "--network", "none", "-u", "0", "-w", "/", "-e", "GREETING=yo", ref)
	if got := strings.TrimSpace(out); got != "user=0 pwd=/ greeting=yo" {
		t.Errorf("-u, -w, -e over the image's: got %q", got)
	}
	out = ie.mustRun(t, "run", "--network", "none", "-u", "0", ref, "sh", "-c",
		"cat /app/hello; ls /etc/deleted 2>&1; ls /opq")
	if !strings.Contains(out, "hello from the image") || !strings.Contains(out, "No such file") || strings.Contains(out, "old") || !strings.Contains(out, "new") {
		t.Errorf("layers: want /app/hello, no /etc/deleted (whiteout), /opq with only new (opaque); got:\n%s", out)
	}
	out = ie.mustRun(t, "run", "--network", "none", "--entrypoint", "/bin/echo", ref, "from", "entrypoint")
	if strings.TrimSpace(out) != "from entrypoint" {
		t.Errorf("--entrypoint: got %q", out)
	}
	// As in docker, --entrypoint clears the image's Cmd too.
	out = ie.mustRun(t, "run", "--network", "none", "--entrypoint=", ref, "/bin/echo", "cleared")
	if strings.TrimSpace(out) != "cleared" {
		t.Errorf("--entrypoint= and a command: %q", out)
	}
	oneLine(t, ie.run(t, "", "run", "--network", "none", "--entrypoint", "", ref), "no command")
}

func TestRunImageNotYetPulledPullsIt(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	img, err := mutate.AppendLayers(empty.Image, dirLayer(t, ie.Rootfs))
	if err != nil {
		t.Fatal(err)
	}
	img = withConfig(t, img, func(cf *v1.ConfigFile) {
		cf.Config.Entrypoint = []string{"/bin/echo", "entry"}
		cf.Config.Cmd = []string{"cmd"}
	})
	ref := reg.push(t, "echo:1", img)
	r := ie.run(t, "", "run", "--network", "none", ref)
	if r.Status != 0 || strings.TrimSpace(r.Stdout) != "entry cmd" || !strings.Contains(r.Stderr, "layer 1/1") {
		t.Fatalf("run of an image not in the store (pulled first, Entrypoint + Cmd): %d %q %q", r.Status, r.Stdout, r.Stderr)
	}
	r = ie.run(t, "", "run", "--network", "none", ref, "args")
	if r.Status != 0 || strings.TrimSpace(r.Stdout) != "entry args" || strings.Contains(r.Stderr, "layer") {
		t.Errorf("second run (no pull; the command replaces Cmd): %d %q %q", r.Status, r.Stdout, r.Stderr)
	}
}

func TestSecondContainerSharesLayersNotWrites(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	ref := reg.push(t, "app:1", appImage(t, ie.Env))
	ie.mustRun(t, "pull", "-q", ref)
	layers := ie.entries(t, "layers/sha256")
	if len(layers) != 3 {
		t.Fatalf("want 3 unpacked layers, have %v", layers)
	}
	out := ie.mustRun(t, "run", "--network", "none", "-u", "0", ref, "sh", "-c", "echo mine >/app/hello; echo new >/written; cat /app/hello")
	if strings.TrimSpace(out) != "mine" {
		t.Fatalf("the first container's write: %q", out)
	}
	r := ie.run(t, "", "run", "--network", "none", "-u", "0", ref, "sh", "-c", "cat /app/hello; ls /written")
	if !strings.Contains(r.Stdout, "hello from the image") || r.Status == 0 {
		t.Errorf("the second container sees the first's writes: %d %q %q", r.Status, r.Stdout, r.Stderr)
	}
	// Run by name pulled nothing again and unpacked nothing again.
	if after := ie.entries(t, "layers/sha256"); strings.Join(after, " ") != strings.Join(layers, " ") {
		t.Errorf("layer dirs changed: %v -> %v", layers, after)
	}
}

func TestRmiFreesBlobsAndLayers(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	ref := reg.push(t, "app:1", appImage(t, ie.Env))
	ie.mustRun(t, "pull", "-q", ref)
	if len(ie.entries(t, "blobs/sha256")) == 0 || len(ie.entries(t, "layers/sha256")) == 0 {
		t.Fatal("nothing stored by the pull")
	}
	ie.mustRun(t, "rmi", ref)
	if b, l := ie.entries(t, "blobs/sha256"), ie.entries(t, "layers/sha256"); len(b)+len(l) != 0 {
		t.Errorf("rmi left blobs %v and layers %v", b, l)
	}
	if out := ie.mustRun(t, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("images after rmi: %q", out)
	}
	oneLine(t, ie.run(t, "", "rmi", ref), "no image")
}

func TestPullCorruptBlobRefused(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	img := appImage(t, ie.Env)
	ref := reg.push(t, "app:1", img)
	ls, _ := img.Layers()
	d, _ := ls[2].Digest()
	data := filepath.Join(reg.Storage, "docker/registry/v2/blobs/sha256", d.Hex[:2], d.Hex, "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(data, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ie.run(t, "", "pull", "-q", ref)
	oneLine(t, r, "sha256:"+d.Hex)
	if strings.Contains(strings.Join(ie.entries(t, "blobs/sha256"), " "), d.Hex) {
		t.Error("the corrupt blob was stored")
	}
	if tmp := ie.entries(t, "tmp"); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	if out := ie.mustRun(t, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("a refused image is listed: %q", out)
	}
}

func TestPullInterruptedLeavesNothingTrusted(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	big := make([]byte, 256<<20)
	rand.Read(big)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: int64(len(big)), Typeflag: tar.TypeReg})
	tw.Write(big)
	tw.Close()
	img, err := mutate.AppendLayers(empty.Image, dirLayer(t, ie.Rootfs), bytesLayer(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	img = withConfig(t, img, func(cf *v1.ConfigFile) { cf.Config.Cmd = []string{"sh", "-c", "wc -c </big"} })
	ref := reg.push(t, "big:1", img)
	buf.Reset()
	big = nil

	cmd := ie.command("pull", ref)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGINT once the big layer is being written: a partial file in tmp/.
	tmp := filepath.Join(ie.Store, "urun", "tmp")
	interrupted := false
	for {
		ents, _ := os.ReadDir(tmp)
		if len(ents) > 0 && strings.Contains(errb.String(), "layer 2/2") {
			cmd.Process.Signal(syscall.SIGINT)
			interrupted = true
			break
		}
		if cmd.ProcessState != nil {
			break
		}
		var ws syscall.WaitStatus
		if pid, _ := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WNOHANG, nil); pid != 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Wait()
	if !interrupted {
		t.Skip("SKIP: the pull finished before it could be interrupted")
	}
	if !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("an interrupted pull says so: %q", errb.String())
	}
	if out := ie.mustRun(t, "images", "-q"); strings.TrimSpace(out) != "" {
		t.Errorf("an interrupted image is listed: %q", out)
	}
	ls, _ := img.Layers()
	d, _ := ls[1].Digest()
	if strings.Contains(strings.Join(ie.entries(t, "blobs/sha256"), " "), d.Hex) {
		t.Error("the interrupted layer's blob was stored")
	}
	ie.mustRun(t, "pull", "-q", ref)
	if tmp := ie.entries(t, "tmp"); len(tmp) != 0 {
		t.Errorf("the next pull left temp files: %v", tmp)
	}
	out := ie.mustRun(t, "run", "--network", "none", ref)
	if strings.TrimSpace(out) != fmt.Sprint(256<<20) {
		t.Errorf("the completed pull's big file: %q", out)
	}
}

func TestPullBadInput(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	img := appImage(t, ie.Env)
	reg.push(t, "app:1", img)
	arm := withConfig(t, img, func(cf *v1.ConfigFile) { cf.Architecture = "arm64" })
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	multi, _ := name.ParseReference(reg.Addr + "/multi:1")
	if err := remote.WriteIndex(multi, idx); err != nil {
		t.Fatal(err)
	}
	closed := loopbackAddr(t)
	oneLine(t, ie.run(t, "", "pull", reg.Addr+"/nothing:1"), "not found")
	oneLine(t, ie.run(t, "", "pull", reg.Addr+"/app:nosuchtag"), "not found")
	oneLine(t, ie.run(t, "", "pull", closed+"/app:1"), "cannot be reached")
	oneLine(t, ie.run(t, "", "pull", "Bad//Ref"), "does not parse")
	oneLine(t, ie.run(t, "", "pull", "--platform", "linux/s390x", multi.String()), "linux/amd64, linux/arm64")
	oneLine(t, ie.run(t, "", "pull", "--platform", "linux", multi.String()), "--platform")
	oneLine(t, ie.run(t, "", "run", "--pull=never", reg.Addr+"/app:1"), "--pull=never")
	if b, l := ie.entries(t, "blobs/sha256"), ie.entries(t, "layers/sha256"); len(b)+len(l) != 0 {
		t.Errorf("failed pulls stored blobs %v and layers %v", b, l)
	}
	out := ie.mustRun(t, "pull", "--platform", "linux/arm64", "-q", multi.String())
	if list := ie.mustRun(t, "images", "--format", "json"); !strings.Contains(list, `"platform": "linux/arm64"`) {
		t.Errorf("--platform linux/arm64 pulled %s: %s", out, list)
	}
}

func TestPullFromRegistryWithAuth(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, true)
	auth := remote.WithAuth(&authn.Basic{Username: "urun", Password: registryPassword})
	ref := reg.push(t, "private:1", appImage(t, ie.Env), auth)
	oneLine(t, ie.run(t, "", "pull", ref), "refused access")
	// podman's credentials file.
	rt := ie.TempDir(t)
	ie.Sh(t, "mkdir -p "+rt+"/containers && printf '%s' '{\"auths\":{\""+reg.Addr+"\":{\"auth\":\"dXJ1bjpwdw==\"}}}' >"+rt+"/containers/auth.json")
	ie.extra = []string{"XDG_RUNTIME_DIR=" + rt}
	r := ie.run(t, "", "pull", "-q", ref)
	if r.Status != 0 {
		t.Fatalf("pull with auth.json: %d %s", r.Status, r.Stderr)
	}
}

func TestLoadDockerArchiveAndOCILayout(t *testing.T) {
	ie := newImageEnv(t)
	img := appImage(t, ie.Env)
	dir := ie.TempDir(t)
	path := filepath.Join(dir, "app.tar")
	tag, _ := name.NewTag("example.org/loaded:v1")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	out := ie.mustRun(t, "load", "-i", path)
	if !strings.Contains(out, "example.org/loaded:v1") {
		t.Errorf("load: %q", out)
	}
	out = ie.mustRun(t, "run", "--network", "none", "--pull=never", "example.org/loaded:v1")
	if strings.TrimSpace(out) != "user=1234 pwd=/app greeting=hi" {
		t.Errorf("the loaded image's run: %q", out)
	}
	lp := filepath.Join(dir, "layout")
	p, err := layout.Write(lp, empty.Index)
	if err == nil {
		err = p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "example.org/layout:v2"}))
	}
	if err != nil {
		t.Fatal(err)
	}
	exec.Command("chmod", "-R", "a+rX", lp).Run()
	out = ie.mustRun(t, "load", "-q", "-i", lp)
	if !strings.Contains(out, "example.org/layout:v2") {
		t.Errorf("load of an OCI layout: %q", out)
	}
	out = ie.mustRun(t, "run", "--network", "none", "--pull=never", "-u", "0", "example.org/layout:v2", "cat", "/app/hello")
	if strings.TrimSpace(out) != "hello from the image" {
		t.Errorf("the layout's image: %q", out)
	}
}

func TestRmiRefusesImageInUse(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	ref := reg.push(t, "app:1", appImage(t, ie.Env))
	ie.mustRun(t, "pull", "-q", ref)
	cmd := ie.command("run", "--network", "none", ref, "sh", "-c", "echo ready; read x; true")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		t.Fatalf("the container did not start: %q %v", line, err)
	}
	oneLine(t, ie.run(t, "", "rmi", ref), "used by a running container")
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the container: %v", err)
	}
	ie.mustRun(t, "rmi", ref)
}

func TestRmiRefusesImageOfDetachedContainer(t *testing.T) {
	ie := newImageEnv(t)
	reg := startRegistry(t, false)
	ref := reg.push(t, "app:1", appImage(t, ie.Env))
	ie.mustRun(t, "pull", "-q", ref)
	id := strings.TrimSpace(ie.mustRun(t, "run", "-d", "--network", "none", ref, "sleep", "600"))
	// The CLI that started it has exited: the monitor holds the mark.
	oneLine(t, ie.run(t, "", "rmi", ref), "used by a running container")
	ie.mustRun(t, "rm", "-f", id)
	ie.mustRun(t, "rmi", ref)
}
