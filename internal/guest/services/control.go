package services

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Request is one systemctl invocation sent to the agent: its arguments.
type Request struct {
	Args []string `json:"args"`
}

// Response is what systemctl prints and its exit code.
type Response struct {
	Stdout   string `json:"stdout,omitempty"`
	Stderr   string `json:"stderr,omitempty"`
	ExitCode int    `json:"exitCode"`
}

// Control runs one systemctl command line (without "systemctl") against
// the supervisor. Exit codes follow systemctl: 0 success, 1 failure, 3 not
// active, 4 no such unit (status), 5 unit not found (start/stop).
func (s *Supervisor) Control(args []string) Response {
	var flags, words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			words = append(words, a)
		}
	}
	quiet := has(flags, "-q", "--quiet")
	now := has(flags, "--now")
	var out, errOut strings.Builder
	if len(words) == 0 {
		words = []string{"list-units"}
	}
	verb, units := words[0], words[1:]
	for i := range units {
		units[i] = UnitName(units[i])
	}
	code := 0
	needUnits := func() bool {
		if len(units) == 0 {
			fmt.Fprintf(&errOut, "Too few arguments.\n")
			code = 1
			return false
		}
		return true
	}
	switch verb {
	case "start", "stop", "restart", "try-restart", "reload", "reload-or-restart", "try-reload-or-restart":
		if !needUnits() {
			break
		}
		for _, u := range units {
			var err error
			switch verb {
			case "start":
				err = s.Start(u)
			case "stop":
				err = s.Stop(u)
			case "try-restart", "try-reload-or-restart":
				if i, _ := s.Get(u); i.State == StateActive {
					err = s.Restart(u)
				}
			default:
				err = s.Restart(u)
			}
			if errors.Is(err, ErrNotFound) {
				fmt.Fprintf(&errOut, "Failed to %s %s.service: Unit %s.service not found.\n", verb, u, u)
				code = 5
			} else if err != nil {
				fmt.Fprintf(&errOut, "Failed to %s %s.service: %v\n", verb, u, err)
				code = 1
			}
		}
	case "enable", "disable":
		if !needUnits() {
			break
		}
		for _, u := range units {
			err := s.SetEnabled(u, verb == "enable")
			if err == nil && now {
				if verb == "enable" {
					err = s.Start(u)
				} else {
					err = s.Stop(u)
				}
			}
			if errors.Is(err, ErrNotFound) {
				fmt.Fprintf(&errOut, "Failed to %s unit: Unit file %s.service does not exist.\n", verb, u)
				code = 1
			} else if err != nil {
				fmt.Fprintf(&errOut, "Failed to %s unit %s.service: %v\n", verb, u, err)
				code = 1
			}
		}
	case "is-active", "is-failed":
		if !needUnits() {
			break
		}
		want := StateActive
		code = 3
		if verb == "is-failed" {
			code, want = 1, StateFailed
		}
		ok := true
		for _, u := range units {
			i, _ := s.Get(u)
			st := i.State
			if st == "" {
				st = StateInactive
			}
			if !quiet {
				fmt.Fprintln(&out, st)
			}
			if st != want {
				ok = false
			}
		}
		if ok {
			code = 0
		}
	case "is-enabled":
		if !needUnits() {
			break
		}
		for _, u := range units {
			i, defined := s.Get(u)
			switch {
			case !defined:
				fmt.Fprintf(&errOut, "Failed to get unit file state for %s.service: No such file or directory\n", u)
				code = 1
			case i.Enabled:
				if !quiet {
					fmt.Fprintln(&out, "enabled")
				}
			default:
				if !quiet {
					fmt.Fprintln(&out, "disabled")
				}
				code = 1
			}
		}
	case "status":
		if len(units) == 0 {
			for _, i := range s.List() {
				units = append(units, i.Name)
			}
		}
		for _, u := range units {
			i, defined := s.Get(u)
			if !defined && i.PID == 0 {
				fmt.Fprintf(&errOut, "Unit %s.service could not be found.\n", u)
				code = 4
				continue
			}
			writeStatus(&out, i)
			if i.State != StateActive && code == 0 {
				code = 3
			}
		}
	case "daemon-reload", "daemon-reexec":
		s.Reload()
	case "list-units", "list-unit-files":
		fmt.Fprintf(&out, "%-30s %-8s %-12s %s\n", "UNIT", "ENABLED", "ACTIVE", "DESCRIPTION")
		for _, i := range s.List() {
			if !i.Defined {
				continue
			}
			en := "disabled"
			if i.Enabled {
				en = "enabled"
			}
			fmt.Fprintf(&out, "%-30s %-8s %-12s %s\n", i.Name+".service", en, i.State, i.Def.Description)
		}
	case "mask", "unmask", "reset-failed", "set-environment", "unset-environment":
		// Accepted and meaningless here.
	default:
		fmt.Fprintf(&errOut, "Unknown command verb %s.\n", verb)
		code = 1
	}
	return Response{Stdout: out.String(), Stderr: errOut.String(), ExitCode: code}
}

func writeStatus(w io.Writer, i Info) {
	en := "disabled"
	if i.Enabled {
		en = "enabled"
	}
	fmt.Fprintf(w, "● %s.service - %s\n", i.Name, i.Def.Description)
	fmt.Fprintf(w, "     Loaded: loaded (%s; %s)\n", filepath.Join(Dir, i.Name+".json"), en)
	active := i.State
	switch {
	case i.State == StateActive:
		active += " (running)"
	case i.Waiting != "":
		active += " (waiting: " + i.Waiting + ")"
	case i.State == StateActivating:
		active += " (auto-restart)"
	case i.LastExit != "":
		active += " (" + i.LastExit + ")"
	}
	if !i.Since.IsZero() {
		active += " since " + i.Since.UTC().Format(time.RFC1123)
	}
	fmt.Fprintf(w, "     Active: %s\n", active)
	if i.PID != 0 {
		fmt.Fprintf(w, "   Main PID: %d\n", i.PID)
	}
}

func has(list []string, want ...string) bool {
	for _, l := range list {
		for _, w := range want {
			if l == w {
				return true
			}
		}
	}
	return false
}

// Serve answers control requests on l until ctx ends.
func (s *Supervisor) Serve(ctx context.Context, l net.Listener) {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go func() {
			defer c.Close()
			var req Request
			if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
				return
			}
			_ = json.NewEncoder(c).Encode(s.Control(req.Args))
		}()
	}
}

// Listen opens the control socket under root.
func Listen(root string) (net.Listener, error) {
	p := filepath.Join(root, Socket)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	_ = os.Remove(p)
	return net.Listen("unix", p)
}

// Systemctl is the systemctl shim: it sends args to the agent under root
// and prints its answer, returning the exit code.
func Systemctl(root string, args []string, stdout, stderr io.Writer) int {
	c, err := net.DialTimeout("unix", filepath.Join(root, Socket), 5*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "System has not been booted with the kubevisor guest agent as init system (PID 1). Can't operate.\n")
		return 1
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(Request{Args: args}); err != nil {
		fmt.Fprintf(stderr, "Failed to talk to the guest agent: %v\n", err)
		return 1
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		fmt.Fprintf(stderr, "Failed to talk to the guest agent: %v\n", err)
		return 1
	}
	io.WriteString(stdout, resp.Stdout)
	io.WriteString(stderr, resp.Stderr)
	return resp.ExitCode
}
