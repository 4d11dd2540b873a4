package cloudinit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is a parsed #cloud-config document: the supported modules.
type Config struct {
	// BootCmd runs on every boot, before anything else.
	BootCmd []Command
	// WriteFiles are written once per instance (Defer ones after users and
	// before runcmd).
	WriteFiles []File
	// Users are created once per instance.
	Users []User
	// SSHAuthorizedKeys go to root's authorized_keys (this image family
	// has no other default user).
	SSHAuthorizedKeys []string
	// Hostname, FQDN and PreferFQDN set the host name on every boot.
	Hostname, FQDN string
	PreferFQDN     bool
	// ManageEtcHosts rewrites /etc/hosts when true.
	ManageEtcHosts bool
	// RunCmd runs once per instance, last.
	RunCmd []Command
	// FinalMessage is printed when the bootstrap ends.
	FinalMessage string
	// Ignored lists the top-level keys that are not supported.
	Ignored []string
}

// Command is one bootcmd/runcmd item: a shell line or an argv list.
type Command struct {
	Shell string
	Argv  []string
}

// Line is the command as a line of a /bin/sh script, as cloud-init writes
// it: a string as it is, a list shell-quoted.
func (c Command) Line() string {
	if c.Argv == nil {
		return c.Shell
	}
	q := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// File is one write_files item, with its content decoded.
type File struct {
	Path        string
	Content     []byte
	Permissions os.FileMode
	Owner       string
	Append      bool
	Defer       bool
}

// User is one users item.
type User struct {
	Name              string
	Gecos             string
	HomeDir           string
	PrimaryGroup      string
	Groups            []string
	Shell             string
	Sudo              []string
	LockPasswd        bool
	Passwd            string
	SSHAuthorizedKeys []string
	UID               *int
	System            bool
	NoCreateHome      bool
}

// supported top-level keys; others are reported as ignored.
var supported = map[string]bool{
	"bootcmd": true, "write_files": true, "users": true, "ssh_authorized_keys": true,
	"hostname": true, "fqdn": true, "prefer_fqdn_over_hostname": true, "manage_etc_hosts": true,
	"runcmd": true, "final_message": true,
	// Accepted and meaningless here.
	"preserve_hostname": true, "disable_root": true, "ssh_pwauth": true, "chpasswd": true,
}

// ParseConfig parses a #cloud-config document.
func ParseConfig(b []byte) (*Config, error) {
	var top map[string]json.RawMessage
	if err := yaml.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("parsing cloud-config: %w", err)
	}
	cfg := &Config{}
	for k := range top {
		if !supported[k] {
			cfg.Ignored = append(cfg.Ignored, k)
		}
	}
	sort.Strings(cfg.Ignored)
	var err error
	if cfg.BootCmd, err = parseCommands("bootcmd", top["bootcmd"]); err != nil {
		return nil, err
	}
	if cfg.RunCmd, err = parseCommands("runcmd", top["runcmd"]); err != nil {
		return nil, err
	}
	if cfg.WriteFiles, err = parseFiles(top["write_files"]); err != nil {
		return nil, err
	}
	if cfg.Users, err = parseUsers(top["users"]); err != nil {
		return nil, err
	}
	if cfg.SSHAuthorizedKeys, err = stringList("ssh_authorized_keys", top["ssh_authorized_keys"], false); err != nil {
		return nil, err
	}
	for key, dst := range map[string]*string{"hostname": &cfg.Hostname, "fqdn": &cfg.FQDN, "final_message": &cfg.FinalMessage} {
		if *dst, err = scalar(key, top[key]); err != nil {
			return nil, err
		}
	}
	if cfg.PreferFQDN, err = boolean("prefer_fqdn_over_hostname", top["prefer_fqdn_over_hostname"], false); err != nil {
		return nil, err
	}
	if raw := top["manage_etc_hosts"]; len(raw) > 0 {
		s, err := scalar("manage_etc_hosts", raw)
		if err != nil {
			return nil, err
		}
		cfg.ManageEtcHosts = s == "true" || s == "localhost" || s == "template"
	}
	return cfg, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func parseCommands(key string, raw json.RawMessage) ([]Command, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: want a list of commands: %w", key, err)
	}
	var out []Command
	for i, it := range items {
		if isNull(it) {
			continue
		}
		if it[0] == '[' {
			var argv []any
			if err := json.Unmarshal(it, &argv); err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", key, i, err)
			}
			c := Command{Argv: []string{}}
			for _, a := range argv {
				if _, ok := a.(map[string]any); ok {
					return nil, fmt.Errorf("%s[%d]: an argument is a map, want a string", key, i)
				}
				c.Argv = append(c.Argv, fmt.Sprint(a))
			}
			if len(c.Argv) == 0 {
				return nil, fmt.Errorf("%s[%d]: empty command", key, i)
			}
			out = append(out, c)
			continue
		}
		s, err := scalar(fmt.Sprintf("%s[%d]", key, i), it)
		if err != nil {
			return nil, err
		}
		out = append(out, Command{Shell: s})
	}
	return out, nil
}

func parseFiles(raw json.RawMessage) ([]File, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("write_files: want a list of files: %w", err)
	}
	var out []File
	for i, it := range items {
		key := fmt.Sprintf("write_files[%d]", i)
		var f File
		var err error
		if f.Path, err = scalar(key+".path", it["path"]); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(f.Path, "/") {
			return nil, fmt.Errorf("%s.path: want an absolute path, got %q", key, f.Path)
		}
		content, err := scalar(key+".content", it["content"])
		if err != nil {
			return nil, err
		}
		enc, err := scalar(key+".encoding", it["encoding"])
		if err != nil {
			return nil, err
		}
		if f.Content, err = decode(content, enc); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", key, f.Path, err)
		}
		if f.Permissions, err = permissions(key+".permissions", it["permissions"]); err != nil {
			return nil, err
		}
		if f.Owner, err = scalar(key+".owner", it["owner"]); err != nil {
			return nil, err
		}
		if f.Append, err = boolean(key+".append", it["append"], false); err != nil {
			return nil, err
		}
		if f.Defer, err = boolean(key+".defer", it["defer"], false); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func decode(content, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "", "text/plain":
		return []byte(content), nil
	case "b64", "base64":
		return base64.StdEncoding.DecodeString(strings.TrimSpace(content))
	case "gz", "gzip", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64":
		b := []byte(content)
		if strings.Contains(encoding, "64") {
			var err error
			if b, err = base64.StdEncoding.DecodeString(strings.TrimSpace(content)); err != nil {
				return nil, err
			}
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(io.LimitReader(zr, maxUserData))
	default:
		return nil, fmt.Errorf("unknown encoding %q", encoding)
	}
}

// permissions reads "0644", "644", 0644 (which YAML 1.1 reads as the octal
// number) or 420.
func permissions(key string, raw json.RawMessage) (os.FileMode, error) {
	if isNull(raw) {
		return 0o644, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return os.FileMode(n) & os.ModePerm, nil
	}
	s, err := scalar(key, raw)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0"), 8, 32)
	if s == "0" || s == "00" {
		v, err = 0, nil
	}
	if err != nil || v > 0o7777 {
		return 0, fmt.Errorf("%s: want an octal mode such as '0644', got %q", key, s)
	}
	return os.FileMode(v) & os.ModePerm, nil
}

func parseUsers(raw json.RawMessage) ([]User, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		// "users: default" or "users: a, b" is also allowed.
		s, serr := scalar("users", raw)
		if serr != nil {
			return nil, fmt.Errorf("users: want a list: %w", err)
		}
		for _, n := range strings.Split(s, ",") {
			b, _ := json.Marshal(strings.TrimSpace(n))
			items = append(items, b)
		}
	}
	var out []User
	for i, it := range items {
		key := fmt.Sprintf("users[%d]", i)
		if it[0] == '"' {
			var name string
			_ = json.Unmarshal(it, &name)
			if name == "default" || name == "" {
				continue // the distribution's default user: none in this image family
			}
			out = append(out, User{Name: name, LockPasswd: true, Shell: "/bin/sh"})
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(it, &m); err != nil {
			return nil, fmt.Errorf("%s: want a map or a name: %w", key, err)
		}
		u := User{Shell: "/bin/sh"}
		var err error
		if u.Name, err = scalar(key+".name", m["name"]); err != nil {
			return nil, err
		}
		if !validName(u.Name) {
			return nil, fmt.Errorf("%s.name: invalid user name %q", key, u.Name)
		}
		for k, dst := range map[string]*string{"gecos": &u.Gecos, "homedir": &u.HomeDir, "primary_group": &u.PrimaryGroup, "passwd": &u.Passwd} {
			if *dst, err = scalar(key+"."+k, m[k]); err != nil {
				return nil, err
			}
		}
		if h, err := scalar(key+".hashed_passwd", m["hashed_passwd"]); err != nil {
			return nil, err
		} else if h != "" {
			u.Passwd = h
		}
		if s, err := scalar(key+".shell", m["shell"]); err != nil {
			return nil, err
		} else if s != "" {
			u.Shell = s
		}
		if u.Groups, err = stringList(key+".groups", m["groups"], true); err != nil {
			return nil, err
		}
		if u.SSHAuthorizedKeys, err = stringList(key+".ssh_authorized_keys", m["ssh_authorized_keys"], false); err != nil {
			return nil, err
		}
		if u.Sudo, err = sudoRules(key+".sudo", m["sudo"]); err != nil {
			return nil, err
		}
		if u.LockPasswd, err = boolean(key+".lock_passwd", m["lock_passwd"], true); err != nil {
			return nil, err
		}
		if u.System, err = boolean(key+".system", m["system"], false); err != nil {
			return nil, err
		}
		if u.NoCreateHome, err = boolean(key+".no_create_home", m["no_create_home"], false); err != nil {
			return nil, err
		}
		if !isNull(m["uid"]) {
			var uid int
			if err := json.Unmarshal(m["uid"], &uid); err != nil {
				s, _ := scalar("", m["uid"])
				if uid, err = strconv.Atoi(s); err != nil {
					return nil, fmt.Errorf("%s.uid: want a number", key)
				}
			}
			u.UID = &uid
		}
		out = append(out, u)
	}
	return out, nil
}

func sudoRules(key string, raw json.RawMessage) ([]string, error) {
	if isNull(raw) || string(raw) == "false" {
		return nil, nil
	}
	if raw[0] == '[' {
		return stringList(key, raw, false)
	}
	s, err := scalar(key, raw)
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, nil
	}
	return []string{s}, nil
}

// scalar reads a string, number or boolean as a string; null is "".
func scalar(key string, raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	default:
		return "", fmt.Errorf("%s: want a string, got %s", key, kindOf(v))
	}
}

func boolean(key string, raw json.RawMessage, def bool) (bool, error) {
	if isNull(raw) {
		return def, nil
	}
	s, err := scalar(key, raw)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s: want a boolean, got %q", key, s)
}

// stringList reads a list of strings; commaString also allows "a, b".
func stringList(key string, raw json.RawMessage, commaString bool) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] != '[' {
		s, err := scalar(key, raw)
		if err != nil || !commaString {
			return nil, fmt.Errorf("%s: want a list of strings", key)
		}
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := scalar(fmt.Sprintf("%s[%d]", key, i), it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func validName(n string) bool {
	if n == "" || len(n) > 32 {
		return false
	}
	for _, r := range n {
		if !nameRune(r) {
			return false
		}
	}
	return n[0] != '-'
}

// alnum reports whether r is an ASCII letter or digit.
func alnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// nameRune reports whether r may appear in a user or group name.
func nameRune(r rune) bool { return alnum(r) || r == '_' || r == '-' || r == '.' }

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !alnum(r) && !strings.ContainsRune("-_./=:,@%+", r)
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
