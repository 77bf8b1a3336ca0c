package imagecli

import (
	"os"

	"github.com/urun-dev/urun/internal/imageproto"
	"github.com/urun-dev/urun/internal/imagestore"
)

// Resolve finds the image of `urun run IMAGE` in the store, pulling it
// first when the request's policy says so, and marks it in use: the mark
// (an open file; the image stays while any process holds it) is returned
// with the answer, and the caller keeps it as long as the container lives.
// urun asks the helper only when a pull is due (imagestore.ResolveStored
// answers the rest in urun itself), but the helper answers every request.
func Resolve(req imageproto.Request) (*imageproto.Resolved, *os.File, error) {
	s, err := openImageStore(os.Stderr)
	if err != nil {
		return nil, nil, err
	}
	res, mark, needPull, err := imagestore.ResolveStored(s.Root, req)
	if err != nil {
		return nil, nil, err
	}
	if needPull {
		if req.Quiet {
			s.Progress = nil
		}
		po, err := pullOptions(req.Registry)
		if err != nil {
			return nil, nil, err
		}
		if _, err = pull(s, req.Ref, po); err != nil {
			return nil, nil, err
		}
		if res, mark, err = s.Resolve(req.Ref); err != nil {
			return nil, nil, err
		}
	}
	return res, mark.File(), nil
}
