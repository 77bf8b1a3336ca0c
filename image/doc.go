// Package image owns urun's images: references and platforms as the user
// types them, the registry protocol and image formats (through
// github.com/google/go-containerregistry, the library ko and crane use),
// credentials, and the writers of the per-user image store under
// $XDG_DATA_HOME/urun (its layout and its read side are package
// imagestore's, which urun itself links).
//
// The store keeps blobs by digest (each hashed while it is written, under a
// temporary name renamed into place only once its digest matched), layers
// unpacked once each by diff id (into a temporary directory renamed into
// place when the unpack and its diff id check are complete) and an index of
// images written by rename under a lock. Nothing a pull did not finish is
// ever used: a pull that was interrupted leaves only temporary names, which
// the next writer of the store deletes.
//
// The package does not unpack layers itself: the rootless unpack (inside the
// user namespace, whiteouts as overlayfs whiteouts) is given to the Store by
// the caller, as is the removal of unpacked trees (their files belong to
// subordinate ids). It knows nothing of containers or the CLI.
package image
