package monitor

import (
	"bytes"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range []Message{
		{Type: TAttach, Value: 1}, {Type: TStdin, Data: []byte("hi")}, {Type: TStdinClose},
		{Type: TResize, Rows: 24, Cols: 80}, {Type: TSignal, Value: 15}, {Type: TStop, Value: 10},
		{Type: TWait}, {Type: TStart}, {Type: TStdout, Data: []byte("x")}, {Type: TStderr, Data: []byte{}},
		{Type: TExit, Value: 137}, {Type: TExit, Value: -1}, {Type: TOK}, {Type: TError, Data: []byte("no")},
	} {
		got, err := Decode(m.Encode())
		if err != nil || got.Type != m.Type || got.Value != m.Value || got.Rows != m.Rows || got.Cols != m.Cols || !bytes.Equal(got.Data, m.Data) {
			t.Errorf("%+v -> %+v, %v", m, got, err)
		}
	}
	for _, b := range [][]byte{nil, {0xff}, {byte(TSignal), 0, 0, 0, 0}, {byte(TSignal), 0, 0, 1}, {byte(TWait), 1}, {byte(TStart), 0}, {byte(TAttach), 2}} {
		if _, err := Decode(b); err == nil {
			t.Errorf("Decode(%x) accepted", b)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{byte(TResize), 0, 24, 0, 80})
	f.Add([]byte{byte(TSignal), 0, 0, 0, 9})
	f.Add([]byte{byte(TStdout), 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		if got := m.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Decode(%x) = %+v, re-encoded %x", b, m, got)
		}
	})
}
