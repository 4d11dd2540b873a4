package mounts

import "testing"

func TestUnescape(t *testing.T) {
	if got := Unescape(`/a\040b\011c\134d`); got != "/a b\tc\\d" {
		t.Errorf("Unescape = %q", got)
	}
}

func TestBelowFindsTheRoot(t *testing.T) {
	got, err := Below("/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[len(got)-1] != "/" {
		t.Errorf("Below(/) = %q, want / last (deepest first)", got)
	}
}
