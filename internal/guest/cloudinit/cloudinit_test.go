package cloudinit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestParse(t *testing.T) {
	md := MetaData{"local-hostname": "vm-1", "instance-id": "iid-1", "kubevisor": map[string]any{"cgroup": "/kubevisor/x"}}
	tests := []struct {
		name    string
		in      []byte
		kind    Kind
		wantErr string
		check   func(t *testing.T, ud UserData)
	}{
		{name: "empty", in: nil, kind: KindNone},
		{name: "script", in: []byte("#!/bin/sh\necho hi\n"), kind: KindScript},
		{name: "gzip cloud-config", in: gz("#cloud-config\nruncmd: [\"echo hi\"]\n"), kind: KindCloudConfig},
		{
			name: "full cloud-config",
			in: []byte(`#cloud-config
hostname: web
fqdn: web.example.test
manage_etc_hosts: true
bootcmd:
  - echo boot
  - [sh, -c, "echo 'it''s'"]
write_files:
  - path: /etc/a
    content: hello
    permissions: '0600'
    owner: app:app
  - path: /etc/b
    encoding: b64
    content: ` + base64.StdEncoding.EncodeToString([]byte("bin")) + `
    permissions: 0755
    append: true
    defer: yes
users:
  - default
  - name: app
    groups: [wheel, docker]
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: false
    passwd: $6$abc
    ssh_authorized_keys: [ssh-ed25519 AAAA app]
ssh_authorized_keys:
  - ssh-ed25519 BBBB root
runcmd:
  - echo run
  - [touch, /tmp/a b]
ntp: {enabled: true}
final_message: bye
`),
			kind: KindCloudConfig,
			check: func(t *testing.T, ud UserData) {
				c := ud.Config
				if c.Hostname != "web" || c.FQDN != "web.example.test" || !c.ManageEtcHosts || c.FinalMessage != "bye" {
					t.Errorf("scalars: %+v", c)
				}
				if diff := cmp.Diff([]string{"echo boot", `sh -c 'echo '"'"'it'"'"''"'"'s'"'"''`}, lines(c.BootCmd)); diff != "" {
					t.Errorf("bootcmd (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{"echo run", "touch '/tmp/a b'"}, lines(c.RunCmd)); diff != "" {
					t.Errorf("runcmd (-want +got):\n%s", diff)
				}
				want := []File{
					{Path: "/etc/a", Content: []byte("hello"), Permissions: 0o600, Owner: "app:app"},
					{Path: "/etc/b", Content: []byte("bin"), Permissions: 0o755, Append: true, Defer: true},
				}
				if diff := cmp.Diff(want, c.WriteFiles); diff != "" {
					t.Errorf("write_files (-want +got):\n%s", diff)
				}
				if len(c.Users) != 1 || c.Users[0].Name != "app" || c.Users[0].LockPasswd || c.Users[0].Passwd != "$6$abc" ||
					!cmp.Equal(c.Users[0].Groups, []string{"wheel", "docker"}) || !cmp.Equal(c.Users[0].Sudo, []string{"ALL=(ALL) NOPASSWD:ALL"}) {
					t.Errorf("users: %+v", c.Users)
				}
				if !cmp.Equal(c.Ignored, []string{"ntp"}) {
					t.Errorf("ignored = %v", c.Ignored)
				}
			},
		},
		{
			name: "jinja",
			in:   []byte("## template: jinja\n#cloud-config\nhostname: '{{ ds.meta_data.local_hostname }}'\nruncmd: ['echo {{ v1.instance_id }} {{ ds.meta_data.kubevisor.cgroup }}']\n"),
			kind: KindCloudConfig,
			check: func(t *testing.T, ud UserData) {
				if ud.Config.Hostname != "vm-1" || ud.Config.RunCmd[0].Shell != "echo iid-1 /kubevisor/x" {
					t.Errorf("rendered: %+v", ud.Config)
				}
			},
		},
		{
			name: "jinja top-level aliases",
			in:   []byte("## template: jinja\n#cloud-config\nhostname: '{{ local_hostname }}'\nruncmd: ['echo {{instance_id}}']\n"),
			kind: KindCloudConfig,
			check: func(t *testing.T, ud UserData) {
				if ud.Config.Hostname != "vm-1" || ud.Config.RunCmd[0].Shell != "echo iid-1" {
					t.Errorf("rendered: %+v", ud.Config)
				}
			},
		},
		{name: "jinja undefined", in: []byte("## template: jinja\n#cloud-config\nhostname: '{{ ds.meta_data.nope }}'\n"), wantErr: "undefined variables ds.meta_data.nope"},
		{name: "yaml syntax", in: []byte("#cloud-config\nruncmd: [unclosed\n"), wantErr: "parsing cloud-config"},
		{name: "not a map", in: []byte("#cloud-config\n- a\n- b\n"), wantErr: "parsing cloud-config"},
		{name: "runcmd not a list", in: []byte("#cloud-config\nruncmd: echo hi\n"), wantErr: "runcmd: want a list"},
		{name: "write_files relative", in: []byte("#cloud-config\nwrite_files: [{path: etc/x}]\n"), wantErr: "want an absolute path"},
		{name: "bad encoding", in: []byte("#cloud-config\nwrite_files: [{path: /x, encoding: rot13, content: a}]\n"), wantErr: "unknown encoding"},
		{name: "bad base64", in: []byte("#cloud-config\nwrite_files: [{path: /x, encoding: b64, content: '!!'}]\n"), wantErr: "illegal base64"},
		{name: "bad permissions", in: []byte("#cloud-config\nwrite_files: [{path: /x, permissions: rwx}]\n"), wantErr: "octal mode"},
		{name: "bad user", in: []byte("#cloud-config\nusers: [{name: 'a b'}]\n"), wantErr: "invalid user name"},
		{name: "unknown format", in: []byte("hello\n"), wantErr: "unrecognized user data"},
		{name: "multipart", in: []byte("Content-Type: multipart/mixed; boundary=x\n"), wantErr: "multipart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ud, err := Parse(tt.in, md)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				if Validate(tt.in) == nil && !strings.Contains(tt.wantErr, "undefined") {
					t.Errorf("Validate() accepted what Parse refused")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if ud.Kind != tt.kind {
				t.Fatalf("kind = %s, want %s", ud.Kind, tt.kind)
			}
			if tt.check != nil {
				tt.check(t, ud)
			}
		})
	}
}

func lines(cs []Command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Line())
	}
	return out
}

func TestMetaDataNetwork(t *testing.T) {
	md, err := ParseMetaData([]byte(`instance-id: i-1
local-hostname: n1
network:
  version: 2
  ethernets:
    eth0:
      addresses: [198.18.0.5/16]
      gateway4: 198.18.0.1
      nameservers: {addresses: [198.18.0.1], search: [local]}
`))
	if err != nil {
		t.Fatal(err)
	}
	n := md.Network()
	if md.InstanceID() != "i-1" || md.LocalHostname() != "n1" || len(n.Addresses) != 1 || n.Addresses[0].String() != "198.18.0.5/16" ||
		!cmp.Equal(n.Nameservers, []string{"198.18.0.1"}) || !cmp.Equal(n.Search, []string{"local"}) {
		t.Errorf("got %v %v %+v", md.InstanceID(), md.LocalHostname(), n)
	}
}

// newRoot makes a guest root with the files a minimal image has.
func newRoot(t *testing.T) string {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nwheel:x:10:\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:*:19000:0:99999:7:::\n"), 0o640))
	must(t, os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("127.0.0.1\tlocalhost\n198.18.0.9\tother\n"), 0o644))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// hostRunner runs guest scripts with the host's /bin/sh, mapping the
// script's guest path into root and exposing root as $ROOT.
func hostRunner(root string, calls *[]string) Runner {
	return func(ctx context.Context, argv, env []string) error {
		*calls = append(*calls, filepath.Base(argv[0]))
		cmd := exec.CommandContext(ctx, "/bin/sh", filepath.Join(root, argv[0]))
		cmd.Env = append(append(os.Environ(), env...), "ROOT="+root)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
		}
		return nil
	}
}

func TestApply(t *testing.T) {
	root := newRoot(t)
	userData := `#cloud-config
hostname: web
bootcmd:
  - echo boot >> "$ROOT/bootcount"
write_files:
  - path: /etc/app/config
    content: |
      key=value
    permissions: '0600'
  - path: /etc/app/config
    content: "more=1\n"
    append: true
  - path: /etc/app/late
    content: late
    defer: true
users:
  - name: app
    groups: wheel, docker
    sudo: ALL=(ALL) NOPASSWD:ALL
    ssh_authorized_keys: [ssh-ed25519 AAAA app@x]
ssh_authorized_keys: [ssh-ed25519 BBBB root@x]
runcmd:
  - echo run >> "$ROOT/runcount"
  - [sh, -c, 'test -f "$ROOT/etc/app/late" && echo deferred-first > "$ROOT/order"']
ntp: {enabled: true}
`
	seed := Seed{
		UserData: []byte(userData),
		MetaData: MetaData{"instance-id": "iid-1", "local-hostname": "ignored", "network": map[string]any{
			"version": 2, "ethernets": map[string]any{"eth0": map[string]any{"addresses": []any{"198.18.0.5/16"}}},
		}},
	}
	var hostnames, calls []string
	boot := func() Result {
		a := &Applier{Root: root, Seed: seed, Run: hostRunner(root, &calls),
			SetHostname: func(h string) error { hostnames = append(hostnames, h); return nil },
			Now:         func() time.Time { return time.Unix(1700000000, 0) }}
		a.Init(context.Background())
		return a.Final(context.Background())
	}

	res := boot()
	if res.Err() != nil || !res.Fresh || res.InstanceID != "iid-1" {
		t.Fatalf("first boot: %+v", res)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "ntp") {
		t.Errorf("warnings = %v", res.Warnings)
	}
	files := map[string]string{
		"etc/app/config":                       "key=value\nmore=1\n",
		"etc/app/late":                         "late",
		"etc/hostname":                         "web\n",
		"bootcount":                            "boot\n",
		"runcount":                             "run\n",
		"order":                                "deferred-first\n",
		"home/app/.ssh/authorized_keys":        "ssh-ed25519 AAAA app@x\n",
		"root/.ssh/authorized_keys":            "ssh-ed25519 BBBB root@x\n",
		"etc/sudoers.d/90-cloud-init-users":    "# Created by kubevisor cloud-init\napp ALL=(ALL) NOPASSWD:ALL\n",
		"etc/passwd":                           "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
		"etc/group":                            "root:x:0:\nwheel:x:10:app\napp:x:1000:\ndocker:x:100:app\n",
		"etc/shadow":                           "root:*:19000:0:99999:7:::\napp:!*:19000:0:99999:7:::\n",
		"etc/hosts":                            "127.0.0.1\tlocalhost\n198.18.0.9\tother\n198.18.0.5\tweb # kubevisor: this host\n",
		"var/lib/cloud/instance/boot-finished": "2023-11-14T22:13:20Z\n",
		"var/lib/cloud/data/instance-id":       "iid-1\n",
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
	// As in cloud-init, the last write sets the mode: the append's default.
	if st, _ := os.Stat(filepath.Join(root, "etc/app/config")); st.Mode().Perm() != 0o644 {
		t.Errorf("config mode = %v", st.Mode())
	}
	if !cmp.Equal(hostnames, []string{"web"}) {
		t.Errorf("hostnames = %v", hostnames)
	}

	// Second boot, same instance: only bootcmd runs again.
	res = boot()
	if res.Err() != nil || res.Fresh {
		t.Fatalf("second boot: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "runcount")); string(b) != "run\n" {
		t.Errorf("runcmd ran again: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "bootcount")); string(b) != "boot\nboot\n" {
		t.Errorf("bootcmd count: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/app/config")); string(b) != "key=value\nmore=1\n" {
		t.Errorf("write_files ran again: %q", b)
	}

	// A new instance-id runs everything again.
	seed.MetaData["instance-id"] = "iid-2"
	if res = boot(); !res.Fresh || res.Err() != nil {
		t.Fatalf("new instance: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "runcount")); string(b) != "run\nrun\n" {
		t.Errorf("runcmd did not run for the new instance: %q", b)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name     string
		userData string
		wantErr  string
	}{
		{name: "malformed", userData: "#cloud-config\nruncmd: [unclosed\n", wantErr: "user-data: parsing cloud-config"},
		{name: "runcmd fails", userData: "#cloud-config\nruncmd: ['exit 3']\n", wantErr: "runcmd: runcmd failed"},
		{name: "script fails", userData: "#!/bin/sh\nexit 4\n", wantErr: "scripts_user: part-001 failed"},
		{name: "unknown owner", userData: "#cloud-config\nwrite_files: [{path: /x, owner: nobody}]\n", wantErr: `unknown user "nobody"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			var calls []string
			seed := Seed{UserData: []byte(tt.userData), MetaData: MetaData{"instance-id": "i"}}
			a := &Applier{Root: root, Seed: seed, Run: hostRunner(root, &calls)}
			a.Init(context.Background())
			res := a.Final(context.Background())
			if res.Err() == nil || !strings.Contains(res.Err().Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", res.Err(), tt.wantErr)
			}
			// The error is remembered for the instance across boots.
			a = &Applier{Root: root, Seed: seed, Run: hostRunner(root, &calls)}
			a.Init(context.Background())
			if res := a.Final(context.Background()); res.Fresh || res.Err() == nil {
				t.Errorf("second boot: %+v", res)
			}
		})
	}
}
