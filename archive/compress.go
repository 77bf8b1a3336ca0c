package archive

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2 = []byte("BZh")
)

// decompress tells the compression from the stream's first bytes (as GNU
// tar and containerd do: file names and media types lie) and returns the
// plain tar stream.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(6)
	switch {
	case bytes.HasPrefix(head, magicGzip):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("the tarball's gzip stream is corrupt: %w", err)
		}
		return z, func() { z.Close() }, nil
	case bytes.HasPrefix(head, magicXz):
		z, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("the tarball's xz stream is corrupt: %w", err)
		}
		return z, func() {}, nil
	case bytes.HasPrefix(head, magicZstd):
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("the tarball's zstd stream is corrupt: %w", err)
		}
		return z, z.Close, nil
	case bytes.HasPrefix(head, magicBzip2):
		return bzip2.NewReader(br), func() {}, nil
	}
	return br, func() {}, nil
}
