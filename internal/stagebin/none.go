//go:build !urun_stage

package stagebin

// Empty: built without `make build`'s urun_stage tag, the stages are urun
// itself and the image verbs run inside it.
var initData, imageData string
