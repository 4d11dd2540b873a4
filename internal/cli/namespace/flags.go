package namespace

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

// clearLimit is the value of --cpu, --memory and --storage that removes a
// limit on update.
const clearLimit = "none"

// specFlags are the flags that describe a SupervisorNamespace's spec. Each
// list flag replaces its list when given; on update, the --add-* and
// --remove-* flags change it instead.
type specFlags struct {
	owners, editors, viewers                    []string
	cpu, memory, storage                        string
	vmClasses, storageClasses, contentLibraries []string

	// update only
	addOwners, addEditors, addViewers           []string
	removeSubjects                              []string
	addVMClasses, removeVMClasses               []string
	addStorageClasses, removeStorageClasses     []string
	addContentLibraries, removeContentLibraries []string
}

// roleFlags maps each role to its flag and its --add-* flag.
var roleFlags = []struct {
	role      kubevisorv1alpha1.Role
	flag, add string
}{
	{kubevisorv1alpha1.RoleOwner, "owner", "add-owner"},
	{kubevisorv1alpha1.RoleEdit, "editor", "add-editor"},
	{kubevisorv1alpha1.RoleView, "viewer", "add-viewer"},
}

func (f *specFlags) addFlags(fs *pflag.FlagSet, update bool) {
	replace := ""
	if update {
		replace = " Replaces the subjects of that role; an empty value removes them all."
	}
	fs.StringSliceVar(&f.owners, "owner", nil, "Grant SUBJECT (user:NAME or group:NAME) the Owner role (repeatable)."+replace)
	fs.StringSliceVar(&f.editors, "editor", nil, "Grant SUBJECT (user:NAME or group:NAME) the Edit role (repeatable)."+replace)
	fs.StringSliceVar(&f.viewers, "viewer", nil, "Grant SUBJECT (user:NAME or group:NAME) the View role (repeatable)."+replace)
	none := ""
	if update {
		none = ` "none" removes the limit.`
	}
	fs.StringVar(&f.cpu, "cpu", "", "Limit on the CPU of all workloads together, a quantity such as 8 or 500m."+none)
	fs.StringVar(&f.memory, "memory", "", "Limit on the memory of all workloads together, a quantity such as 16Gi."+none)
	fs.StringVar(&f.storage, "storage", "", "Limit on the storage of all volume claims together, a quantity such as 100Gi."+none)
	list := " (repeatable)."
	if update {
		list = " (repeatable). Replaces the list; an empty value empties it."
	}
	fs.StringSliceVar(&f.vmClasses, "vm-class", nil, "Bind the ClusterVirtualMachineClass C to the namespace"+list)
	fs.StringSliceVar(&f.storageClasses, "storage-class", nil, "Give the namespace the StoragePolicy SC, optionally with a storage limit: SC or SC=LIMIT"+list)
	fs.StringSliceVar(&f.contentLibraries, "content-library", nil, "Give the namespace the images of the ClusterContentLibrary L"+list)
	if !update {
		return
	}
	fs.StringSliceVar(&f.addOwners, "add-owner", nil, "Grant SUBJECT the Owner role, keeping the other permissions (repeatable).")
	fs.StringSliceVar(&f.addEditors, "add-editor", nil, "Grant SUBJECT the Edit role, keeping the other permissions (repeatable).")
	fs.StringSliceVar(&f.addViewers, "add-viewer", nil, "Grant SUBJECT the View role, keeping the other permissions (repeatable).")
	fs.StringSliceVar(&f.removeSubjects, "remove-permission", nil, "Remove every role of SUBJECT (repeatable).")
	fs.StringSliceVar(&f.addVMClasses, "add-vm-class", nil, "Bind a VM class, keeping the others (repeatable).")
	fs.StringSliceVar(&f.removeVMClasses, "remove-vm-class", nil, "Unbind a VM class (repeatable).")
	fs.StringSliceVar(&f.addStorageClasses, "add-storage-class", nil, "Add or change a storage class, SC or SC=LIMIT, keeping the others (repeatable).")
	fs.StringSliceVar(&f.removeStorageClasses, "remove-storage-class", nil, "Remove a storage class (repeatable).")
	fs.StringSliceVar(&f.addContentLibraries, "add-content-library", nil, "Add a content library, keeping the others (repeatable).")
	fs.StringSliceVar(&f.removeContentLibraries, "remove-content-library", nil, "Remove a content library (repeatable).")
}

// limitEdit changes one limit: to q, or removes it when q is nil.
type limitEdit struct{ q *resource.Quantity }

// specEdit is a checked change to a spec; apply makes it.
type specEdit struct {
	setRoles       map[kubevisorv1alpha1.Role][]kubevisorv1alpha1.Subject
	addPermissions []kubevisorv1alpha1.Permission
	removeSubjects []kubevisorv1alpha1.Subject

	cpu, memory, storage *limitEdit

	vmClasses, addVMClasses, removeVMClasses []string
	setVMClasses                             bool

	storageClasses, addStorageClasses []kubevisorv1alpha1.StorageClassAssignment
	removeStorageClasses              []string
	setStorageClasses                 bool

	contentLibraries, addContentLibraries, removeContentLibraries []string
	setContentLibraries                                           bool
}

// parse checks the flags that changed reports as given and returns the
// change they make, or an error naming the flag.
func (f *specFlags) parse(changed func(flag string) bool, update bool) (*specEdit, error) {
	e := &specEdit{setRoles: map[kubevisorv1alpha1.Role][]kubevisorv1alpha1.Subject{}}
	values := map[string][]string{"owner": f.owners, "editor": f.editors, "viewer": f.viewers,
		"add-owner": f.addOwners, "add-editor": f.addEditors, "add-viewer": f.addViewers}
	for _, rf := range roleFlags {
		if changed(rf.flag) {
			subjects, err := parseSubjects(rf.flag, values[rf.flag])
			if err != nil {
				return nil, err
			}
			e.setRoles[rf.role] = subjects
		}
		if changed(rf.add) {
			subjects, err := parseSubjects(rf.add, values[rf.add])
			if err != nil {
				return nil, err
			}
			for _, s := range subjects {
				e.addPermissions = append(e.addPermissions, kubevisorv1alpha1.Permission{Subject: s, Role: rf.role})
			}
		}
	}
	if changed("remove-permission") {
		subjects, err := parseSubjects("remove-permission", f.removeSubjects)
		if err != nil {
			return nil, err
		}
		e.removeSubjects = subjects
	}

	for _, l := range []struct {
		flag  string
		value string
		into  **limitEdit
	}{{"cpu", f.cpu, &e.cpu}, {"memory", f.memory, &e.memory}, {"storage", f.storage, &e.storage}} {
		if !changed(l.flag) {
			continue
		}
		if update && l.value == clearLimit {
			*l.into = &limitEdit{}
			continue
		}
		q, err := parseQuantity(l.flag, l.value)
		if err != nil {
			return nil, err
		}
		*l.into = &limitEdit{q: q}
	}

	var err error
	if e.setVMClasses = changed("vm-class"); e.setVMClasses {
		if e.vmClasses, err = parseNames("vm-class", f.vmClasses); err != nil {
			return nil, err
		}
	}
	if e.addVMClasses, err = parseNames("add-vm-class", f.addVMClasses); err != nil {
		return nil, err
	}
	if e.removeVMClasses, err = parseNames("remove-vm-class", f.removeVMClasses); err != nil {
		return nil, err
	}
	if e.setStorageClasses = changed("storage-class"); e.setStorageClasses {
		if e.storageClasses, err = parseStorageClasses("storage-class", f.storageClasses); err != nil {
			return nil, err
		}
	}
	if e.addStorageClasses, err = parseStorageClasses("add-storage-class", f.addStorageClasses); err != nil {
		return nil, err
	}
	if e.removeStorageClasses, err = parseNames("remove-storage-class", f.removeStorageClasses); err != nil {
		return nil, err
	}
	if e.setContentLibraries = changed("content-library"); e.setContentLibraries {
		if e.contentLibraries, err = parseNames("content-library", f.contentLibraries); err != nil {
			return nil, err
		}
	}
	if e.addContentLibraries, err = parseNames("add-content-library", f.addContentLibraries); err != nil {
		return nil, err
	}
	if e.removeContentLibraries, err = parseNames("remove-content-library", f.removeContentLibraries); err != nil {
		return nil, err
	}
	return e, nil
}

// apply makes the change to spec. The result is checked by checkSpec.
func (e *specEdit) apply(spec *kubevisorv1alpha1.SupervisorNamespaceSpec) {
	for _, rf := range roleFlags {
		subjects, ok := e.setRoles[rf.role]
		if !ok {
			continue
		}
		spec.Permissions = slices.DeleteFunc(spec.Permissions, func(p kubevisorv1alpha1.Permission) bool { return p.Role == rf.role })
		for _, s := range subjects {
			spec.Permissions = append(spec.Permissions, kubevisorv1alpha1.Permission{Subject: s, Role: rf.role})
		}
	}
	for _, s := range e.removeSubjects {
		spec.Permissions = slices.DeleteFunc(spec.Permissions, func(p kubevisorv1alpha1.Permission) bool { return p.Subject == s })
	}
	for _, add := range e.addPermissions {
		// A subject has one role: adding it with another role moves it.
		spec.Permissions = slices.DeleteFunc(spec.Permissions, func(p kubevisorv1alpha1.Permission) bool { return p.Subject == add.Subject })
		spec.Permissions = append(spec.Permissions, add)
	}

	for _, l := range []struct {
		edit *limitEdit
		into **resource.Quantity
	}{{e.cpu, &spec.Limits.CPU}, {e.memory, &spec.Limits.Memory}, {e.storage, &spec.Limits.Storage}} {
		if l.edit != nil {
			*l.into = l.edit.q
		}
	}

	if e.setVMClasses {
		spec.VMClasses = e.vmClasses
	}
	spec.VMClasses = editSet(spec.VMClasses, e.addVMClasses, e.removeVMClasses)
	if e.setContentLibraries {
		spec.ContentLibraries = e.contentLibraries
	}
	spec.ContentLibraries = editSet(spec.ContentLibraries, e.addContentLibraries, e.removeContentLibraries)

	if e.setStorageClasses {
		spec.StorageClasses = e.storageClasses
	}
	for _, add := range e.addStorageClasses {
		i := slices.IndexFunc(spec.StorageClasses, func(sc kubevisorv1alpha1.StorageClassAssignment) bool { return sc.Name == add.Name })
		if i >= 0 {
			spec.StorageClasses[i] = add
		} else {
			spec.StorageClasses = append(spec.StorageClasses, add)
		}
	}
	spec.StorageClasses = slices.DeleteFunc(spec.StorageClasses, func(sc kubevisorv1alpha1.StorageClassAssignment) bool {
		return slices.Contains(e.removeStorageClasses, sc.Name)
	})
}

// checkSpec refuses a spec that gives one subject two roles, naming both.
func checkSpec(spec *kubevisorv1alpha1.SupervisorNamespaceSpec) error {
	roles := map[kubevisorv1alpha1.Subject]kubevisorv1alpha1.Role{}
	for _, p := range spec.Permissions {
		if r, ok := roles[p.Subject]; ok && r != p.Role {
			return fmt.Errorf("%s is given both the %s and the %s role: give each user or group one role", formatSubject(p.Subject), r, p.Role)
		}
		roles[p.Subject] = p.Role
	}
	return nil
}

// editSet adds and removes names, keeping the order and dropping
// duplicates.
func editSet(list, add, remove []string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return slices.DeleteFunc(list, func(s string) bool { return slices.Contains(remove, s) })
}

// parseSubject parses user:NAME or group:NAME, the value of --flag.
func parseSubject(flag, value string) (kubevisorv1alpha1.Subject, error) {
	kind, name, ok := strings.Cut(value, ":")
	var s kubevisorv1alpha1.Subject
	switch strings.ToLower(kind) {
	case "user":
		s.Kind = kubevisorv1alpha1.SubjectKindUser
	case "group":
		s.Kind = kubevisorv1alpha1.SubjectKindGroup
	default:
		ok = false
	}
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return s, fmt.Errorf("--%s %q: a subject is user:NAME or group:NAME, such as user:alice or group:developers", flag, value)
	}
	if len(name) > 256 {
		return s, fmt.Errorf("--%s %q: the name is longer than 256 characters", flag, value)
	}
	s.Name = name
	return s, nil
}

func parseSubjects(flag string, values []string) ([]kubevisorv1alpha1.Subject, error) {
	var out []kubevisorv1alpha1.Subject
	for _, v := range values {
		s, err := parseSubject(flag, v)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// parseQuantity parses the value of --flag as a non-negative quantity.
func parseQuantity(flag, value string) (*resource.Quantity, error) {
	q, err := resource.ParseQuantity(strings.TrimSpace(value))
	if err != nil {
		return nil, fmt.Errorf("--%s %q is not a quantity: use a number with an optional suffix, such as 4, 500m, 16Gi or 1T", flag, value)
	}
	if q.Sign() < 0 {
		return nil, fmt.Errorf("--%s %q: a limit must not be negative", flag, value)
	}
	return &q, nil
}

// parseNames checks a list of object names given with --flag, dropping
// duplicates.
func parseNames(flag string, values []string) ([]string, error) {
	out := []string{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("--%s: a name is empty", flag)
		}
		if len(v) > 253 {
			return nil, fmt.Errorf("--%s %q: a name is at most 253 characters long", flag, v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// parseStorageClass parses SC or SC=LIMIT, the value of --flag.
func parseStorageClass(flag, value string) (kubevisorv1alpha1.StorageClassAssignment, error) {
	name, limit, hasLimit := strings.Cut(value, "=")
	name = strings.TrimSpace(name)
	if name == "" {
		return kubevisorv1alpha1.StorageClassAssignment{}, fmt.Errorf("--%s %q: give a storage class as SC or SC=LIMIT, such as gold or gold=100Gi", flag, value)
	}
	sc := kubevisorv1alpha1.StorageClassAssignment{Name: name}
	if hasLimit {
		q, err := parseQuantity(flag, limit)
		if err != nil {
			return sc, fmt.Errorf("--%s %q: the limit of %s %q is not a non-negative quantity such as 100Gi", flag, value, name, limit)
		}
		sc.Limit = q
	}
	return sc, nil
}

func parseStorageClasses(flag string, values []string) ([]kubevisorv1alpha1.StorageClassAssignment, error) {
	out := []kubevisorv1alpha1.StorageClassAssignment{}
	for _, v := range values {
		sc, err := parseStorageClass(flag, v)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o kubevisorv1alpha1.StorageClassAssignment) bool { return o.Name == sc.Name }) {
			return nil, fmt.Errorf("--%s: storage class %s is given twice", flag, sc.Name)
		}
		out = append(out, sc)
	}
	return out, nil
}

func formatSubject(s kubevisorv1alpha1.Subject) string {
	return strings.ToLower(string(s.Kind)) + ":" + s.Name
}
