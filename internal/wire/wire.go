// Package wire owns the encoding of the configs urun sends its own stages
// (the init stage's and the exec stage's): a compact binary form of a Go
// value, field by field in declaration order, for a reader built from the
// same source.
//
// Why not JSON: the configs carry an OCI runtime spec, and encoding/json
// builds its codec by reflecting over every type the spec can hold
// (Windows, Solaris, VM, hooks, ...), 1.5-2 ms of CPU on each side of every
// start here, the largest single cost after the Go runtimes themselves.
// This encoder walks only the values that are there: a nil pointer is one
// byte, whatever its type holds.
//
// Both ends are urun's (the stage is embedded in urun, or is urun itself),
// but a stage built from other source would read garbage, so a message
// starts with a fingerprint of its type graph (names, kinds and fields):
// Unmarshal refuses a message of another shape with an error, never
// decodes it.
//
// Supported: bools, integers, floats, strings, slices, arrays, maps,
// pointers and structs (exported fields; unexported ones are skipped on
// both sides). An interface (the spec's Windows credential spec is the only
// one) goes as JSON and comes back as encoding/json decodes into an any.
// Nil and empty slices and maps stay apart: a round trip gives back a deeply
// equal value.
package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
)

// magic opens every message, then the 8-byte fingerprint.
const magic = "urunw1"

// maxDepth bounds the nesting Unmarshal follows; urun's configs nest a few
// levels.
const maxDepth = 64

// Marshal encodes *v or v (a pointer is followed, the value it points to is
// what is sent).
func Marshal(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, errors.New("wire: marshal of a nil pointer")
		}
		rv = rv.Elem()
	}
	b := make([]byte, 0, 4096)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint64(b, Fingerprint(rv.Type()))
	return encode(b, rv)
}

// Unmarshal decodes b, made by Marshal from a value of v's element type,
// into *v.
func Unmarshal(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("wire: unmarshal needs a non-nil pointer")
	}
	rv = rv.Elem()
	if len(b) < len(magic)+8 || string(b[:len(magic)]) != magic {
		return errors.New("wire: not a urun stage message")
	}
	if got, want := binary.BigEndian.Uint64(b[len(magic):]), Fingerprint(rv.Type()); got != want {
		return fmt.Errorf("%w than %s (fingerprint %016x, want %016x): the stage and urun were built from different source", ErrOtherShape, rv.Type(), got, want)
	}
	d := decoder{b: b[len(magic)+8:]}
	if err := d.value(rv, 0); err != nil {
		return err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("wire: %d bytes after the value", len(d.b))
	}
	return nil
}

// ErrOtherShape is what Unmarshal's error Is when the message was made by a
// build whose types differ (its fingerprint is not the reader's).
var ErrOtherShape = errors.New("wire: the message is of another shape")

// field is an exported field of a struct type.
type field struct {
	index int
	name  string
	typ   reflect.Type
}

// fields caches, per struct type, its exported fields: reflect's
// StructField costs an allocation per call.
var fields sync.Map // reflect.Type -> []field

func exported(t reflect.Type) []field {
	if f, ok := fields.Load(t); ok {
		return f.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			fs = append(fs, field{i, f.Name, f.Type})
		}
	}
	fields.Store(t, fs)
	return fs
}

func encode(b []byte, v reflect.Value) ([]byte, error) {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v.Float())), nil
	case reflect.String:
		s := v.String()
		return append(binary.AppendUvarint(b, uint64(len(s))), s...), nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0), nil
		}
		return encode(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return append(b, v.Bytes()...), nil
		}
		return encodeElems(b, v)
	case reflect.Array:
		return encodeElems(b, v)
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		var err error
		for it := v.MapRange(); it.Next(); {
			if b, err = encode(b, it.Key()); err != nil {
				return nil, err
			}
			if b, err = encode(b, it.Value()); err != nil {
				return nil, err
			}
		}
		return b, nil
	case reflect.Struct:
		var err error
		for _, f := range exported(v.Type()) {
			if b, err = encode(b, v.Field(f.index)); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", v.Type(), f.name, err)
			}
		}
		return b, nil
	case reflect.Interface:
		// As JSON, which is what such a field held when it was read
		// (the spec's Windows credential spec: never set by urun, but an
		// OCI bundle may carry one); empty for nil.
		if v.IsNil() {
			return append(b, 0), nil
		}
		j, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, fmt.Errorf("wire: encoding an interface value: %w", err)
		}
		return append(binary.AppendUvarint(b, uint64(len(j))+1), j...), nil
	}
	return nil, fmt.Errorf("wire: cannot send a %s", v.Type())
}

func encodeElems(b []byte, v reflect.Value) ([]byte, error) {
	var err error
	for i := range v.Len() {
		if b, err = encode(b, v.Index(i)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

type decoder struct{ b []byte }

var errShort = errors.New("wire: the message ends early")

func (d *decoder) byte() (byte, error) {
	if len(d.b) == 0 {
		return 0, errShort
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c, nil
}

func (d *decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errShort
	}
	d.b = d.b[n:]
	return x, nil
}

// length reads a length (plus one when nilable, 0 then meaning nil), no
// longer than what is left: every element takes a byte at least.
func (d *decoder) length(nilable bool) (n int, isNil bool, err error) {
	x, err := d.uvarint()
	if err != nil {
		return 0, false, err
	}
	if nilable {
		if x == 0 {
			return 0, true, nil
		}
		x--
	}
	if x > uint64(len(d.b)) {
		return 0, false, errShort
	}
	return int(x), false, nil
}

// present reads the length of a slice, map or interface, which may be nil:
// ok is false when v is nil (set so) or on an error.
func (d *decoder) present(v reflect.Value) (n int, ok bool, err error) {
	n, isNil, err := d.length(true)
	if err != nil {
		return 0, false, err
	}
	if isNil {
		v.SetZero()
		return 0, false, nil
	}
	return n, true, nil
}

func (d *decoder) value(v reflect.Value, depth int) error {
	if depth > maxDepth {
		return errors.New("wire: the message nests too deep")
	}
	switch v.Kind() {
	case reflect.Bool:
		c, err := d.byte()
		if err != nil {
			return err
		}
		if c > 1 {
			return fmt.Errorf("wire: a bool of %d", c)
		}
		v.SetBool(c == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 {
			return errShort
		}
		d.b = d.b[n:]
		if v.OverflowInt(x) {
			return fmt.Errorf("wire: %d overflows %s", x, v.Type())
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, err := d.uvarint()
		if err != nil {
			return err
		}
		if v.OverflowUint(x) {
			return fmt.Errorf("wire: %d overflows %s", x, v.Type())
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		if len(d.b) < 8 {
			return errShort
		}
		v.SetFloat(math.Float64frombits(binary.BigEndian.Uint64(d.b)))
		d.b = d.b[8:]
	case reflect.String:
		n, _, err := d.length(false)
		if err != nil {
			return err
		}
		v.SetString(string(d.b[:n]))
		d.b = d.b[n:]
	case reflect.Pointer:
		c, err := d.byte()
		if err != nil {
			return err
		}
		switch c {
		case 0:
			v.SetZero()
		case 1:
			p := reflect.New(v.Type().Elem())
			if err := d.value(p.Elem(), depth+1); err != nil {
				return err
			}
			v.Set(p)
		default:
			return fmt.Errorf("wire: a pointer tag of %d", c)
		}
	case reflect.Slice:
		n, ok, err := d.present(v)
		if !ok {
			return err
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s := reflect.MakeSlice(v.Type(), n, n)
			reflect.Copy(s, reflect.ValueOf(d.b[:n]))
			v.Set(s)
			d.b = d.b[n:]
			return nil
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			if err := d.value(s.Index(i), depth+1); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			if err := d.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		n, ok, err := d.present(v)
		if !ok {
			return err
		}
		t := v.Type()
		m := reflect.MakeMapWithSize(t, n)
		for range n {
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			if err := d.value(k, depth+1); err != nil {
				return err
			}
			if err := d.value(e, depth+1); err != nil {
				return err
			}
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for _, f := range exported(v.Type()) {
			if err := d.value(v.Field(f.index), depth+1); err != nil {
				return err
			}
		}
	case reflect.Interface:
		n, ok, err := d.present(v)
		if !ok {
			return err
		}
		if v.NumMethod() != 0 {
			return fmt.Errorf("wire: cannot receive a %s", v.Type())
		}
		var x any
		if err := json.Unmarshal(d.b[:n], &x); err != nil {
			return fmt.Errorf("wire: decoding an interface value: %w", err)
		}
		d.b = d.b[n:]
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
	default:
		return fmt.Errorf("wire: cannot receive a %s", v.Type())
	}
	return nil
}

// prints caches Fingerprint's results.
var prints sync.Map // reflect.Type -> uint64

// Fingerprint hashes the shape of t: every type reachable from it, with its
// name, kind and, for a struct, its exported fields' names in order. Two
// builds agree on it when their encoders would walk the same fields.
func Fingerprint(t reflect.Type) uint64 {
	if f, ok := prints.Load(t); ok {
		return f.(uint64)
	}
	h := hash(fnvOffset)
	seen := map[reflect.Type]int{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if n, ok := seen[t]; ok {
			// A type met before (or a recursive one) by its number.
			h.str("@").num(n)
			return
		}
		seen[t] = len(seen)
		h.str(t.PkgPath()).str(".").str(t.Name()).num(int(t.Kind())).str("{")
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(t.Elem())
		case reflect.Array:
			h.num(t.Len())
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for _, f := range exported(t) {
				h.str(f.name).str("=")
				walk(f.typ)
			}
		}
		h.str("}")
	}
	walk(t)
	prints.Store(t, uint64(h))
	return uint64(h)
}

// hash is FNV-1a, fed strings and numbers without allocating (hash/fnv
// takes byte slices: a conversion per string).
type hash uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (h *hash) str(s string) *hash {
	for i := 0; i < len(s); i++ {
		*h = (*h ^ hash(s[i])) * fnvPrime
	}
	return h
}

func (h *hash) num(n int) *hash {
	for range 8 {
		*h = (*h ^ hash(n&0xff)) * fnvPrime
		n >>= 8
	}
	return h
}
