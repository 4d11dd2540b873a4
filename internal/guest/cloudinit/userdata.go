package cloudinit

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Kind is the kind of user data.
type Kind string

const (
	KindNone        Kind = "none"
	KindCloudConfig Kind = "cloud-config"
	KindScript      Kind = "script"
)

// UserData is parsed user data.
type UserData struct {
	Kind Kind
	// Config is set for KindCloudConfig.
	Config *Config
	// Script is set for KindScript: the file to run (it starts with #!).
	Script []byte
}

// maxUserData bounds decompressed user data.
const maxUserData = 16 << 20

// Parse parses user data, rendering a "## template: jinja" template with
// md first.
func Parse(b []byte, md MetaData) (UserData, error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return UserData{}, fmt.Errorf("decompressing user data: %w", err)
		}
		b, err = io.ReadAll(io.LimitReader(zr, maxUserData))
		if err != nil {
			return UserData{}, fmt.Errorf("decompressing user data: %w", err)
		}
	}
	first, rest := firstLine(b)
	if strings.TrimSpace(first) == "## template: jinja" {
		r, err := renderJinja(string(rest), md)
		if err != nil {
			return UserData{}, err
		}
		b = []byte(r)
		first, _ = firstLine(b)
	}
	first = strings.TrimSpace(first)
	switch {
	case len(bytes.TrimSpace(b)) == 0:
		return UserData{Kind: KindNone}, nil
	case first == "#cloud-config":
		cfg, err := ParseConfig(b)
		if err != nil {
			return UserData{}, err
		}
		return UserData{Kind: KindCloudConfig, Config: cfg}, nil
	case strings.HasPrefix(first, "#!"):
		return UserData{Kind: KindScript, Script: b}, nil
	case strings.HasPrefix(strings.ToLower(first), "content-type:"), strings.HasPrefix(strings.ToLower(first), "mime-version:"):
		return UserData{}, errors.New("MIME multipart user data is not supported: use #cloud-config or a #! script")
	default:
		return UserData{}, fmt.Errorf("unrecognized user data: the first line %q starts with neither #cloud-config nor #! (a script)", truncate(first, 40))
	}
}

// Validate checks user data the way the guest will parse it, so that a
// controller can refuse a malformed cloud-init before creating a VM. Jinja
// variables render as placeholders.
func Validate(userData []byte) error {
	_, err := Parse(userData, nil)
	return err
}

var jinjaExpr = regexp.MustCompile(`\{\{-?\s*([A-Za-z0-9_.\-]+)\s*-?\}\}`)

// renderJinja substitutes {{ ds.meta_data.<key>[.<key>...] }} and
// {{ v1.<key> }} (local_hostname, instance_id), also written without "v1."
// as cloud-init's instance data aliases them (CAPV's templates name nodes
// '{{ local_hostname }}'). Keys match meta-data keys
// with '-' read as '_', as cloud-init's instance data does. Control
// structures ({% %}) are refused.
func renderJinja(tpl string, md MetaData) (string, error) {
	if strings.Contains(tpl, "{%") {
		return "", errors.New("jinja template: control structures ({% %}) are not supported, only {{ variables }}")
	}
	var missing []string
	out := jinjaExpr.ReplaceAllStringFunc(tpl, func(m string) string {
		name := jinjaExpr.FindStringSubmatch(m)[1]
		v, ok := lookupJinja(name, md)
		if !ok {
			if md != nil {
				missing = append(missing, name)
			}
			return "CI_MISSING_JINJA_VAR/" + name
		}
		return v
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("jinja template: undefined variables %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func lookupJinja(name string, md MetaData) (string, bool) {
	parts := strings.Split(name, ".")
	if len(parts) == 1 && (parts[0] == "local_hostname" || parts[0] == "instance_id") {
		parts = []string{"v1", parts[0]}
	}
	var cur any
	switch {
	case len(parts) >= 3 && parts[0] == "ds" && parts[1] == "meta_data":
		cur, parts = map[string]any(md), parts[2:]
	case len(parts) == 2 && parts[0] == "v1":
		switch parts[1] {
		case "local_hostname", "hostname":
			return md.LocalHostname(), md.LocalHostname() != ""
		case "instance_id":
			return md.InstanceID(), md.InstanceID() != ""
		}
		return "", false
	default:
		return "", false
	}
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		v, ok := m[p]
		if !ok {
			v, ok = m[strings.ReplaceAll(p, "_", "-")]
		}
		if !ok {
			return "", false
		}
		cur = v
	}
	if cur == nil {
		return "", false
	}
	return fmt.Sprint(cur), true
}

func firstLine(b []byte) (string, []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i+1:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
