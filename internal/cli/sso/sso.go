package sso

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/cli/kubeconfig"
	"github.com/kubevisor/kubevisor/internal/cli/prompt"
	"github.com/kubevisor/kubevisor/internal/sso/store"
)

// NewCommand returns `sso` and its subcommands. It reads and writes
// through the command's streams (cmd.InOrStdin, cmd.OutOrStdout).
func NewCommand() *cobra.Command {
	var kc kubeconfig.Options
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "Manage the users and groups of the Supervisor's single sign-on",
		Long: `Manage the users and groups of the Supervisor's built-in single sign-on.
Users log in with ` + "`kubectl vsphere login`" + `; permissions on namespaces name
them as user:NAME or group:NAME.

The Supervisor is found the way kubectl finds it: --kubeconfig, then
$KUBECONFIG, then ~/.kube/config.`,
		Args: cobra.NoArgs,
	}
	kc.AddFlags(cmd.PersistentFlags())
	user := &cobra.Command{Use: "user", Short: "Manage users", Args: cobra.NoArgs}
	user.AddCommand(newUserAddCommand(&kc), newUserPasswdCommand(&kc), newUserDeleteCommand(&kc), newUserListCommand(&kc))
	group := &cobra.Command{Use: "group", Short: "Manage groups", Args: cobra.NoArgs}
	member := &cobra.Command{Use: "member", Short: "Manage the members of a group", Args: cobra.NoArgs}
	member.AddCommand(newMemberCommand(&kc, true), newMemberCommand(&kc, false))
	group.AddCommand(newGroupAddCommand(&kc), newGroupDeleteCommand(&kc), newGroupListCommand(&kc), member)
	cmd.AddCommand(user, group)
	return cmd
}

func newUserAddCommand(kc *kubeconfig.Options) *cobra.Command {
	var spec kubevisorv1alpha1.UserSpec
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user, with a password",
		Long: `Add a user. The password is read from standard input when it is not a
terminal (its first line), or prompted for twice without echo. It must be at
least 8 characters long; only its bcrypt hash is stored.`,
		Example: `  kubevisor sso user add alice --display-name "Alice Liddell" --email alice@example.com
  echo "$PASSWORD" | kubevisor sso user add bob`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			hash, err := readPassword(cmd)
			if err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			user := &kubevisorv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
			if err := c.Create(ctx, user); err != nil {
				if apierrors.IsAlreadyExists(err) {
					return fmt.Errorf("user %s already exists: change its password with `kubevisor sso user passwd %s`", name, name)
				}
				return fmt.Errorf("creating user %s: %w", name, err)
			}
			if err := setPassword(ctx, c, user, hash); err != nil {
				// Leave no user without a password behind.
				if delErr := c.Delete(context.WithoutCancel(ctx), user); delErr != nil && !apierrors.IsNotFound(delErr) {
					return fmt.Errorf("%w; user %s was created without a password and could not be removed (%v): remove it with `kubevisor sso user delete %s`", err, name, delErr, name)
				}
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s added\n", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&spec.DisplayName, "display-name", "", "The user's full name, for people to read.")
	cmd.Flags().StringVar(&spec.Email, "email", "", "The user's e-mail address.")
	return cmd
}

func newUserPasswdCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password",
		Long: `Set a user's password. It is read from standard input when that is not a
terminal (its first line), or prompted for twice without echo. Tokens already
issued stay valid until they expire.`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			hash, err := readPassword(cmd)
			if err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			user := &kubevisorv1alpha1.User{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Name: name}, user); err != nil {
				return userError(err, name)
			}
			if err := setPassword(cmd.Context(), c, user, hash); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of user %s changed\n", name)
			return nil
		},
	}
}

func newUserDeleteCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user and its password",
		Long: `Delete a user and its password. The user is not removed from groups or
namespace permissions; tokens already issued stop being accepted.`,
		Args: args("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			userErr := c.Delete(ctx, &kubevisorv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}})
			if userErr != nil && !apierrors.IsNotFound(userErr) {
				return fmt.Errorf("deleting user %s: %w", name, userErr)
			}
			// The garbage collector would delete the Secret too; deleting it
			// now makes the password unusable at once.
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: store.PasswordSecretName(name), Namespace: store.SystemNamespace}}
			secretErr := c.Delete(ctx, secret)
			if secretErr != nil && !apierrors.IsNotFound(secretErr) {
				return fmt.Errorf("deleting the password of user %s: %w", name, secretErr)
			}
			if apierrors.IsNotFound(userErr) {
				if apierrors.IsNotFound(secretErr) {
					return userError(userErr, name)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "user %s did not exist; its leftover password was deleted\n", name)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s deleted\n", name)
			return nil
		},
	}
}

func newUserListCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users, with their groups",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			users := &kubevisorv1alpha1.UserList{}
			if err := c.List(ctx, users); err != nil {
				return fmt.Errorf("listing users: %w", err)
			}
			groups := &kubevisorv1alpha1.GroupList{}
			if err := c.List(ctx, groups); err != nil {
				return fmt.Errorf("listing groups: %w", err)
			}
			secrets := &corev1.SecretList{}
			if err := c.List(ctx, secrets, client.InNamespace(store.SystemNamespace), client.HasLabels{store.UserLabel}); err != nil {
				return fmt.Errorf("listing passwords: %w", err)
			}
			hasPassword := map[string]bool{}
			for _, s := range secrets.Items {
				hasPassword[s.Labels[store.UserLabel]] = len(s.Data[store.PasswordKey]) > 0
			}
			if len(users.Items) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No users. Add one with `kubevisor sso user add NAME`.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDISPLAY NAME\tEMAIL\tGROUPS\tPASSWORD\tDISABLED")
			for _, u := range users.Items {
				var in []string
				for _, g := range groups.Items {
					if slices.Contains(g.Spec.Members, u.Name) {
						in = append(in, g.Name)
					}
				}
				password := "set"
				if !hasPassword[u.Name] {
					password = "not set"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", u.Name, orDash(u.Spec.DisplayName), orDash(u.Spec.Email),
					orDash(strings.Join(in, ",")), password, u.Spec.Disabled)
			}
			return tw.Flush()
		},
	}
}

func newGroupAddCommand(kc *kubeconfig.Options) *cobra.Command {
	var spec kubevisorv1alpha1.GroupSpec
	cmd := &cobra.Command{
		Use:     "add NAME",
		Short:   "Add a group, with no members",
		Example: `  kubevisor sso group add developers --description "Application developers"`,
		Args:    args("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			c, err := kc.Client()
			if err != nil {
				return err
			}
			group := &kubevisorv1alpha1.Group{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
			if err := c.Create(cmd.Context(), group); err != nil {
				if apierrors.IsAlreadyExists(err) {
					return fmt.Errorf("group %s already exists: add members with `kubevisor sso group member add %s USER`", name, name)
				}
				return fmt.Errorf("creating group %s: %w", name, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "group %s added\n", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&spec.Description, "description", "", "What the group is for.")
	return cmd
}

func newGroupDeleteCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a group (its users stay)",
		Args:  args("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			c, err := kc.Client()
			if err != nil {
				return err
			}
			if err := c.Delete(cmd.Context(), &kubevisorv1alpha1.Group{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
				return groupError(err, name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "group %s deleted\n", name)
			return nil
		},
	}
}

func newGroupListCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List groups, with their members",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := kc.Client()
			if err != nil {
				return err
			}
			groups := &kubevisorv1alpha1.GroupList{}
			if err := c.List(cmd.Context(), groups); err != nil {
				return fmt.Errorf("listing groups: %w", err)
			}
			if len(groups.Items) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No groups. Add one with `kubevisor sso group add NAME`.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDESCRIPTION\tMEMBERS")
			for _, g := range groups.Items {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, orDash(g.Spec.Description), orDash(strings.Join(g.Spec.Members, ",")))
			}
			return tw.Flush()
		},
	}
}

// newMemberCommand returns `member add` or `member remove`.
func newMemberCommand(kc *kubeconfig.Options, add bool) *cobra.Command {
	use, short := "remove GROUP USER", "Remove a user from a group"
	if add {
		use, short = "add GROUP USER", "Add a user to a group"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args("GROUP", "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			groupName, userName := args[0], args[1]
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if add {
				// Only existing users join; a removed user may still be
				// removed from its groups.
				if err := c.Get(ctx, client.ObjectKey{Name: userName}, &kubevisorv1alpha1.User{}); err != nil {
					return userError(err, userName)
				}
			}
			changed := false
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				group := &kubevisorv1alpha1.Group{}
				if err := c.Get(ctx, client.ObjectKey{Name: groupName}, group); err != nil {
					return err
				}
				member := slices.Contains(group.Spec.Members, userName)
				switch {
				case add && !member:
					group.Spec.Members = append(group.Spec.Members, userName)
				case !add && member:
					group.Spec.Members = slices.DeleteFunc(group.Spec.Members, func(m string) bool { return m == userName })
				default:
					changed = false
					return nil
				}
				changed = true
				return c.Update(ctx, group)
			})
			if err != nil {
				return groupError(err, groupName)
			}
			out := cmd.OutOrStdout()
			switch {
			case add && changed:
				fmt.Fprintf(out, "user %s added to group %s\n", userName, groupName)
			case add:
				fmt.Fprintf(out, "user %s is already in group %s\n", userName, groupName)
			case changed:
				fmt.Fprintf(out, "user %s removed from group %s\n", userName, groupName)
			default:
				return fmt.Errorf("user %s is not a member of group %s: see its members with `kubevisor sso group list`", userName, groupName)
			}
			return nil
		},
	}
}

// readPassword reads a new password from the command's standard input and
// returns its hash.
func readPassword(cmd *cobra.Command) ([]byte, error) {
	pw, err := prompt.NewPassword(cmd.InOrStdin(), cmd.ErrOrStderr(), store.ValidatePassword)
	if err != nil {
		return nil, err
	}
	return store.HashPassword(pw)
}

// setPassword creates or replaces the Secret holding user's password hash.
func setPassword(ctx context.Context, c client.Client, user *kubevisorv1alpha1.User, hash []byte) error {
	want := store.PasswordSecret(user, hash)
	err := c.Create(ctx, want)
	if apierrors.IsAlreadyExists(err) {
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got := &corev1.Secret{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
				return err
			}
			got.Labels = want.Labels
			got.OwnerReferences = want.OwnerReferences
			got.Type = want.Type
			got.Data = want.Data
			return c.Update(ctx, got)
		})
	}
	if err != nil {
		return fmt.Errorf("storing the password of user %s in secret %s/%s: %w", user.Name, want.Namespace, want.Name, err)
	}
	return nil
}

func userError(err error, name string) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("user %s not found: add it with `kubevisor sso user add %s`, or list users with `kubevisor sso user list`", name, name)
	}
	return fmt.Errorf("user %s: %w", name, err)
}

func groupError(err error, name string) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("group %s not found: add it with `kubevisor sso group add %s`, or list groups with `kubevisor sso group list`", name, name)
	}
	return fmt.Errorf("group %s: %w", name, err)
}

// args requires exactly the named positional arguments.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return fmt.Errorf("%s takes %s, got %d arguments", cmd.CommandPath(), strings.Join(names, " "), len(args))
		}
		for i, a := range args {
			if a == "" {
				return fmt.Errorf("%s: %s is empty", cmd.CommandPath(), names[i])
			}
		}
		return nil
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
