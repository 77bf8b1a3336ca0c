module github.com/urun-dev/urun

go 1.26.0

require (
	github.com/alecthomas/kong v1.17.0
	github.com/cyphar/filepath-securejoin v0.7.0
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.49.0
)

require github.com/moby/sys/mountinfo v0.7.3
