package cloudinit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func (a *Applier) applyUsers(cfg *Config) error {
	var errs []string
	for _, u := range cfg.Users {
		if err := a.ensureUser(u); err != nil {
			errs = append(errs, fmt.Sprintf("user %s: %v", u.Name, err))
		}
	}
	if len(cfg.SSHAuthorizedKeys) > 0 {
		if err := a.authorizeKeys("root", cfg.SSHAuthorizedKeys); err != nil {
			errs = append(errs, fmt.Sprintf("ssh_authorized_keys: %v", err))
		}
	}
	var sudoers []string
	for _, u := range cfg.Users {
		for _, rule := range u.Sudo {
			sudoers = append(sudoers, u.Name+" "+rule)
		}
	}
	if len(sudoers) > 0 {
		p := a.path("/etc/sudoers.d/90-cloud-init-users")
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return err
		}
		content := "# Created by kubevisor cloud-init\n" + strings.Join(sudoers, "\n") + "\n"
		if err := os.WriteFile(p, []byte(content), 0o440); err != nil {
			errs = append(errs, fmt.Sprintf("sudoers: %v", err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// ensureUser creates a user (passwd, shadow, group, home) or, if it
// exists, adds its groups and keys.
func (a *Applier) ensureUser(u User) error {
	passwdPath, shadowPath, groupPath := a.path("/etc/passwd"), a.path("/etc/shadow"), a.path("/etc/group")
	passwd, groups := readDB(passwdPath), readDB(groupPath)
	home := u.HomeDir
	if home == "" {
		home = "/home/" + u.Name
	}
	exists := slices.ContainsFunc(passwd, func(r []string) bool { return r[0] == u.Name })
	if !exists {
		uid := 0
		if u.UID != nil {
			uid = *u.UID
		} else {
			uid = freeID(passwd, 2, u.System)
		}
		gid := uid
		pg := u.PrimaryGroup
		if pg == "" {
			pg = u.Name
		}
		if g := findRow(groups, pg); g != nil {
			gid, _ = strconv.Atoi(g[2])
		} else {
			if findID(groups, 2, gid) {
				gid = freeID(groups, 2, u.System)
			}
			groups = append(groups, []string{pg, "x", strconv.Itoa(gid), ""})
		}
		passwd = append(passwd, []string{u.Name, "x", strconv.Itoa(uid), strconv.Itoa(gid), u.Gecos, home, u.Shell})
		if err := writeDB(passwdPath, passwd, 0o644); err != nil {
			return err
		}
		if !u.NoCreateHome {
			hp := a.path(home)
			if err := os.MkdirAll(hp, 0o755); err != nil {
				return err
			}
			if err := a.chown(hp, uid, gid); err != nil {
				return err
			}
		}
	}
	// Supplementary groups: created if missing.
	for _, g := range u.Groups {
		row := findRow(groups, g)
		if row == nil {
			row = []string{g, "x", strconv.Itoa(freeID(groups, 2, true)), ""}
			groups = append(groups, row)
		}
		for len(row) < 4 {
			row = append(row, "")
		}
		members := strings.FieldsFunc(row[3], func(r rune) bool { return r == ',' })
		if !slices.Contains(members, u.Name) {
			row[3] = strings.Join(append(members, u.Name), ",")
		}
		for i := range groups {
			if groups[i][0] == g {
				groups[i] = row
			}
		}
	}
	if err := writeDB(groupPath, groups, 0o644); err != nil {
		return err
	}
	if err := a.setPassword(shadowPath, u); err != nil {
		return err
	}
	if len(u.SSHAuthorizedKeys) > 0 {
		return a.authorizeKeys(u.Name, u.SSHAuthorizedKeys)
	}
	return nil
}

func (a *Applier) setPassword(shadowPath string, u User) error {
	shadow := readDB(shadowPath)
	hash := "*"
	if u.Passwd != "" {
		hash = u.Passwd
	}
	if u.LockPasswd && !strings.HasPrefix(hash, "!") {
		hash = "!" + hash
	}
	row := findRow(shadow, u.Name)
	if row == nil {
		shadow = append(shadow, []string{u.Name, hash, "19000", "0", "99999", "7", "", "", ""})
	} else {
		row[1] = hash
	}
	return writeDB(shadowPath, shadow, 0o640)
}

// authorizeKeys appends keys missing from the user's authorized_keys.
func (a *Applier) authorizeKeys(user string, keys []string) error {
	var home string
	uid, gid := 0, 0
	for _, r := range readDB(a.path("/etc/passwd")) {
		if r[0] == user && len(r) >= 6 {
			home = r[5]
			uid, _ = strconv.Atoi(r[2])
			gid, _ = strconv.Atoi(r[3])
		}
	}
	if home == "" {
		if user != "root" {
			return fmt.Errorf("user %s has no home directory", user)
		}
		home = "/root"
	}
	dir := a.path(filepath.Join(home, ".ssh"))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dir, "authorized_keys")
	old, _ := os.ReadFile(p)
	content := string(old)
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" || slices.Contains(strings.Split(content, "\n"), k) {
			continue
		}
		if content != "" && !strings.HasSuffix(content, "\n") {
			content += "\n"
		}
		content += k + "\n"
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		return err
	}
	if err := a.chown(dir, uid, gid); err != nil {
		return err
	}
	return a.chown(p, uid, gid)
}

func findRow(rows [][]string, name string) []string {
	for _, r := range rows {
		if len(r) >= 3 && r[0] == name {
			return r
		}
	}
	return nil
}

func findID(rows [][]string, col, id int) bool {
	for _, r := range rows {
		if len(r) > col && r[col] == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

// freeID is the lowest unused ID from 1000 (users) or 100 (system).
func freeID(rows [][]string, col int, system bool) int {
	id := 1000
	if system {
		id = 100
	}
	for findID(rows, col, id) {
		id++
	}
	return id
}
