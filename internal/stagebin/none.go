//go:build !urun_stage

package stagebin

// data is empty: built without `make build`'s urun_stage tag, the stages are
// urun itself.
var data string
