package prompt

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestFirstLine(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "secret123\n", want: "secret123"},
		{in: "secret123", want: "secret123"},
		{in: "secret123\r\nignored\n", want: "secret123"},
		{in: " spaces kept \n", want: " spaces kept "},
		{in: "\n", want: ""},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := FirstLine(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("FirstLine(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("FirstLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewPasswordFromPipe(t *testing.T) {
	tooShort := errors.New("too short")
	validate := func(pw string) error {
		if len(pw) < 8 {
			return tooShort
		}
		return nil
	}
	if pw, err := NewPassword(strings.NewReader("longenough\n"), io.Discard, validate); err != nil || pw != "longenough" {
		t.Errorf("NewPassword() = %q, %v", pw, err)
	}
	if _, err := NewPassword(strings.NewReader("short\n"), io.Discard, validate); !errors.Is(err, tooShort) {
		t.Errorf("NewPassword(short) error = %v, want %v", err, tooShort)
	}
}
