package cloudinit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Per-instance state, as cloud-init keeps it.
const (
	CloudDir     = "/var/lib/cloud"
	InstanceLink = "/var/lib/cloud/instance"
	ResultFile   = "/var/lib/cloud/data/result.json"
	OutputLog    = "/var/log/cloud-init-output.log"
)

// Runner runs a program inside the guest: argv[0] is a path inside root.
// It returns an error when the program fails.
type Runner func(ctx context.Context, argv []string, env []string) error

// Applier applies a seed to a root directory ("/" inside a VM, a temporary
// directory in tests).
type Applier struct {
	// Root is the guest's root directory.
	Root string
	// Seed is what to apply.
	Seed Seed
	// Run runs commands and scripts.
	Run Runner
	// SetHostname sets the kernel's host name; nil leaves it.
	SetHostname func(string) error
	// Out receives progress messages and the final message.
	Out io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	ud       UserData
	parseErr error
	warnings []string
	errs     []string
	instance string
	fresh    bool
}

// Result is the outcome of a bootstrap.
type Result struct {
	// InstanceID is the instance the result is about.
	InstanceID string
	// Fresh is true when the per-instance modules ran on this boot, false
	// when they had already run for this instance.
	Fresh bool
	// Errors and Warnings describe what failed or was ignored.
	Errors, Warnings []string
	// Finished is when the instance's bootstrap finished.
	Finished time.Time
}

// Err joins Errors into one error, or nil.
func (r Result) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	return errors.New(strings.Join(r.Errors, "; "))
}

// resultFile is cloud-init's /var/lib/cloud/data/result.json.
type resultFile struct {
	V1 struct {
		Datasource string   `json:"datasource"`
		Errors     []string `json:"errors"`
		Warnings   []string `json:"warnings,omitempty"`
		InstanceID string   `json:"instance_id,omitempty"`
		Finished   string   `json:"finished,omitempty"`
	} `json:"v1"`
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Applier) path(p string) string { return filepath.Join(a.Root, p) }

func (a *Applier) logf(format string, args ...any) {
	if a.Out != nil {
		fmt.Fprintf(a.Out, "cloud-init: "+format+"\n", args...)
	}
}

func (a *Applier) fail(module string, err error) {
	msg := fmt.Sprintf("%s: %v", module, err)
	a.errs = append(a.errs, msg)
	a.logf("error: %s", msg)
}

func (a *Applier) instanceDir() string {
	return a.path(filepath.Join(CloudDir, "instances", a.instance))
}

// Previous returns the recorded result of this seed's instance, if its
// bootstrap already finished on an earlier boot.
func (a *Applier) Previous() (Result, bool) {
	iid := a.instanceID()
	if _, err := os.Stat(filepath.Join(a.path(CloudDir), "instances", iid, "boot-finished")); err != nil {
		return Result{}, false
	}
	b, err := os.ReadFile(a.path(ResultFile))
	if err != nil {
		return Result{InstanceID: iid}, true
	}
	var rf resultFile
	if json.Unmarshal(b, &rf) != nil || rf.V1.InstanceID != iid {
		return Result{InstanceID: iid}, true
	}
	t, _ := time.Parse(time.RFC3339, rf.V1.Finished)
	return Result{InstanceID: iid, Errors: rf.V1.Errors, Warnings: rf.V1.Warnings, Finished: t}, true
}

func (a *Applier) instanceID() string {
	if iid := a.Seed.MetaData.InstanceID(); iid != "" {
		return sanitize(iid)
	}
	return "iid-nocloud"
}

// Init is the early stage, before services start: it parses the user data,
// runs bootcmd (every boot), sets the host name, and, the first time for
// this instance, writes files and creates users.
func (a *Applier) Init(ctx context.Context) {
	a.instance = a.instanceID()
	_, done := a.Previous()
	a.fresh = !done
	a.ud, a.parseErr = Parse(a.Seed.UserData, a.Seed.MetaData)
	if a.parseErr != nil {
		a.fail("user-data", a.parseErr)
	}
	cfg := a.ud.Config
	if cfg == nil {
		cfg = &Config{}
	}
	for _, k := range cfg.Ignored {
		a.warnings = append(a.warnings, fmt.Sprintf("module %s is not supported and was ignored", k))
	}
	if err := a.prepareInstance(); err != nil {
		a.fail("instance", err)
	}
	if len(cfg.BootCmd) > 0 {
		if err := a.runScript(ctx, "bootcmd", commandsScript(cfg.BootCmd), []string{"INSTANCE_ID=" + a.instance}); err != nil {
			a.fail("bootcmd", err)
		}
	}
	if err := a.applyHostname(cfg); err != nil {
		a.fail("set_hostname", err)
	}
	if !a.fresh {
		return
	}
	a.once("write_files", func() error { return a.writeFiles(cfg.WriteFiles, false) })
	a.once("users_groups", func() error { return a.applyUsers(cfg) })
}

// Final is the late stage, after services start: the first time for this
// instance it writes deferred files and runs runcmd or the user-data
// script, then records the result. It returns the instance's result (the
// recorded one when the instance was already done).
func (a *Applier) Final(ctx context.Context) Result {
	if !a.fresh {
		prev, _ := a.Previous()
		prev.Fresh = false
		if a.parseErr != nil && len(prev.Errors) == 0 {
			prev.Errors = a.errs
		}
		return prev
	}
	cfg := a.ud.Config
	if cfg == nil {
		cfg = &Config{}
	}
	a.once("write_files_deferred", func() error { return a.writeFiles(cfg.WriteFiles, true) })
	if len(cfg.RunCmd) > 0 {
		a.once("runcmd", func() error { return a.runScript(ctx, "runcmd", commandsScript(cfg.RunCmd), nil) })
	}
	if a.ud.Kind == KindScript {
		a.once("scripts_user", func() error { return a.runScript(ctx, "part-001", a.ud.Script, nil) })
	}
	res := Result{InstanceID: a.instance, Fresh: true, Errors: a.errs, Warnings: a.warnings, Finished: a.now()}
	if err := a.record(res); err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("recording the result: %v", err))
	}
	msg := cfg.FinalMessage
	if msg == "" {
		msg = "kubevisor cloud-init finished at $TIMESTAMP. Up $UPTIME seconds"
	}
	a.logf("%s", expandFinal(msg, a.now()))
	return res
}

// once runs a per-instance module unless its semaphore exists.
func (a *Applier) once(module string, f func() error) {
	sem := filepath.Join(a.instanceDir(), "sem", "config_"+module)
	if _, err := os.Stat(sem); err == nil {
		return
	}
	if err := f(); err != nil {
		a.fail(module, err)
	}
	_ = os.MkdirAll(filepath.Dir(sem), 0o755)
	_ = os.WriteFile(sem, []byte(a.now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

func (a *Applier) prepareInstance() error {
	if err := os.MkdirAll(filepath.Join(a.instanceDir(), "scripts"), 0o755); err != nil {
		return err
	}
	link := a.path(InstanceLink)
	if target, err := os.Readlink(link); err != nil || target != "instances/"+a.instance {
		_ = os.RemoveAll(link)
		if err := os.Symlink("instances/"+a.instance, link); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(a.path(filepath.Join(CloudDir, "data")), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(a.path(filepath.Join(CloudDir, "data", "instance-id")), []byte(a.instance+"\n"), 0o644); err != nil {
		return err
	}
	if a.fresh {
		_ = os.WriteFile(filepath.Join(a.instanceDir(), "user-data.txt"), a.Seed.UserData, 0o600)
	}
	return nil
}

func (a *Applier) record(res Result) error {
	var rf resultFile
	rf.V1.Datasource = "DataSourceNoCloud [seed=" + SeedDir + "]"
	rf.V1.Errors = res.Errors
	if rf.V1.Errors == nil {
		rf.V1.Errors = []string{}
	}
	rf.V1.Warnings = res.Warnings
	rf.V1.InstanceID = a.instance
	rf.V1.Finished = res.Finished.UTC().Format(time.RFC3339)
	b, _ := json.MarshalIndent(rf, "", "  ")
	if err := os.WriteFile(a.path(ResultFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(a.instanceDir(), "boot-finished"), []byte(rf.V1.Finished+"\n"), 0o644)
}

// runScript writes a script into the instance's scripts directory and
// runs it.
func (a *Applier) runScript(ctx context.Context, name string, script []byte, env []string) error {
	p := filepath.Join(a.instanceDir(), "scripts", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, script, 0o700); err != nil {
		return err
	}
	if a.Run == nil {
		return errors.New("no command runner")
	}
	guestPath := filepath.Join(CloudDir, "instances", a.instance, "scripts", name)
	a.logf("running %s", name)
	if err := a.Run(ctx, []string{guestPath}, env); err != nil {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return nil
}

func commandsScript(cmds []Command) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, c := range cmds {
		b.WriteString(c.Line())
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func expandFinal(msg string, now time.Time) string {
	up := "0"
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		up = strings.Fields(string(b))[0]
	}
	r := strings.NewReplacer("$UPTIME", up, "$TIMESTAMP", now.UTC().Format(time.RFC1123Z), "$VERSION", "kubevisor", "$DATASOURCE", "NoCloud")
	return r.Replace(msg)
}

// sanitize makes an instance ID usable as a directory name.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == 0 || r == '\n' {
			return '_'
		}
		return r
	}, s)
}
