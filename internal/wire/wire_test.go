package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

type inner struct {
	Name  string
	Bytes []byte
	Opt   *uint32
}

type sample struct {
	B       bool
	I       int
	I8      int8
	I64     int64
	U       uint
	U16     uint16
	U64     uint64
	F       float64
	F32     float32
	S       string
	Strs    []string
	Empty   []string
	Nil     []string
	Arr     [3]int32
	M       map[string]string
	EmptyM  map[string]int
	NilM    map[string]int
	P       *inner
	NilP    *inner
	Inners  []inner
	PInners []*inner
	Any     any
	hidden  int
	Named   mode
}

type mode string

func full() sample {
	seven := uint32(7)
	return sample{
		B: true, I: -42, I8: -128, I64: math.MinInt64, U: 42, U16: 65535, U64: math.MaxUint64,
		F: 3.25, F32: -1.5, S: "héllo\x00world",
		Strs: []string{"a", "", "c"}, Empty: []string{}, Arr: [3]int32{1, -2, 3},
		M: map[string]string{"k": "v", "": "empty"}, EmptyM: map[string]int{},
		P:       &inner{Name: "p", Bytes: []byte{0, 1, 255}, Opt: &seven},
		Inners:  []inner{{Name: "x", Bytes: []byte{}}, {}},
		PInners: []*inner{nil, {Name: "y"}},
		Named:   "rw",
	}
}

func TestRoundTripKeepsEveryValue(t *testing.T) {
	in := full()
	b, err := Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out sample
	if err := Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip differs:\n in %+v\nout %+v", in, out)
	}
	// Nil and empty stay apart, which DeepEqual checks only one way round.
	if out.Empty == nil || out.Nil != nil || out.EmptyM == nil || out.NilM != nil || out.Inners[0].Bytes == nil || out.Inners[1].Bytes != nil {
		t.Errorf("nil and empty were mixed up: %#v", out)
	}
	// A value decoded over a used one leaves nothing of the old.
	old := full()
	old.NilP = &inner{Name: "stale"}
	old.Nil = []string{"stale"}
	if err := Unmarshal(b, &old); err != nil || !reflect.DeepEqual(in, old) {
		t.Errorf("decoding over a used value: %v, %+v", err, old)
	}
}

func TestUnexportedFieldsStayHome(t *testing.T) {
	in := full()
	in.hidden = 9
	b, err := Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out sample
	if err := Unmarshal(b, &out); err != nil || out.hidden != 0 {
		t.Errorf("unexported field: %v, %d; want it skipped", err, out.hidden)
	}
}

func TestAnInterfaceGoesAsJSON(t *testing.T) {
	in := full()
	in.Any = map[string]any{"file": "x.json", "n": 1.5}
	b, err := Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out sample
	if err := Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("interface round trip: %v\n in %#v\nout %#v", err, in.Any, out.Any)
	}
	in.Any = func() {}
	if _, err := Marshal(&in); err == nil {
		t.Error("a func in an interface was sent")
	}
}

// A stage built from other source gets an error, not a misread config.
func TestAnotherShapeIsRefused(t *testing.T) {
	type v1 struct {
		A string
		B []string
	}
	type v2 struct {
		A string
		C []string // renamed
	}
	type v3 struct {
		A string
		B []int // retyped
	}
	b, err := Marshal(&v1{A: "x", B: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal(b, new(v2)); !errors.Is(err, ErrOtherShape) || !strings.Contains(err.Error(), "different source") {
		t.Errorf("renamed field: %v, want a refusal", err)
	}
	if err := Unmarshal(b, new(v3)); err == nil {
		t.Error("retyped field: no error")
	}
	if err := Unmarshal(b, new(v1)); err != nil {
		t.Errorf("same shape: %v", err)
	}
	if Fingerprint(reflect.TypeFor[v1]()) == Fingerprint(reflect.TypeFor[v2]()) {
		t.Error("v1 and v2 share a fingerprint")
	}
}

func TestTruncatedAndTrailingInputIsRefused(t *testing.T) {
	in := full()
	b, err := Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		var out sample
		if err := Unmarshal(b[:n], &out); err == nil {
			t.Fatalf("a message cut to %d of %d bytes decoded", n, len(b))
		}
	}
	var out sample
	if err := Unmarshal(append(bytes.Clone(b), 0), &out); err == nil {
		t.Error("a trailing byte was accepted")
	}
}

// FuzzUnmarshal: any input decodes or fails without a panic, and what decodes
// encodes back to the same bytes but for map order (so: decodes the same).
func FuzzUnmarshal(f *testing.F) {
	in := full()
	b, _ := Marshal(&in)
	f.Add(b)
	f.Add(b[:len(b)/2])
	small, _ := Marshal(&sample{})
	f.Add(small)
	f.Fuzz(func(t *testing.T, data []byte) {
		var out sample
		if err := Unmarshal(data, &out); err != nil {
			return
		}
		again, err := Marshal(&out)
		if err != nil {
			t.Fatalf("re-encoding a decoded value: %v", err)
		}
		var back sample
		if err := Unmarshal(again, &back); err != nil {
			t.Fatalf("decoding a re-encoded value: %v", err)
		}
		// NaN is never equal to itself: compare the bits.
		out.F, back.F = math.Float64frombits(0), math.Float64frombits(0)
		out.F32, back.F32 = 0, 0
		if !reflect.DeepEqual(out, back) {
			t.Fatalf("decode, encode, decode differs:\n%+v\n%+v", out, back)
		}
	})
}
