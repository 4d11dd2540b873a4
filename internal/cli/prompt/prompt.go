package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IsTerminal reports whether in is a terminal.
func IsTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Password reads a password. From a terminal it prints label to out and
// reads without echo; from anything else it reads the first line, without
// its line ending.
func Password(in io.Reader, out io.Writer, label string) (string, error) {
	if IsTerminal(in) {
		return readTerminal(in.(*os.File), out, label)
	}
	return FirstLine(in)
}

// NewPassword reads a password being set. From a terminal it asks twice and
// refuses a mismatch; from anything else it reads the first line. validate,
// if not nil, is applied before asking for the confirmation.
func NewPassword(in io.Reader, out io.Writer, validate func(string) error) (string, error) {
	if !IsTerminal(in) {
		pw, err := FirstLine(in)
		if err != nil {
			return "", err
		}
		if validate != nil {
			if err := validate(pw); err != nil {
				return "", err
			}
		}
		return pw, nil
	}
	f := in.(*os.File)
	pw, err := readTerminal(f, out, "New password: ")
	if err != nil {
		return "", err
	}
	if validate != nil {
		if err := validate(pw); err != nil {
			return "", err
		}
	}
	again, err := readTerminal(f, out, "Retype the new password: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}

// FirstLine reads in up to its first line ending and returns that line
// without it (and without a carriage return before it).
func FirstLine(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if line == "" && errors.Is(err, io.EOF) {
		return "", errors.New("no password on standard input: pipe it in (echo \"$PASSWORD\" | ...) or run the command in a terminal to be prompted")
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

func readTerminal(f *os.File, out io.Writer, label string) (string, error) {
	fmt.Fprint(out, label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
