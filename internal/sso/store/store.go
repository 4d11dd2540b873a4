package store

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

const (
	// SystemNamespace holds the Supervisor's own state, the password
	// Secrets among it.
	SystemNamespace = "kubevisor-system"
	// PasswordKey is the key of a password Secret's data that holds the
	// bcrypt hash.
	PasswordKey = "bcrypt"
	// UserLabel is set on a password Secret to the user's name.
	UserLabel = "kubevisor.io/sso-user"
	// MinPasswordLength is the length, in characters, of the shortest
	// password accepted.
	MinPasswordLength = 8
	// Cost is the bcrypt cost: about 0.1 s per hash on a current core,
	// which keeps login cheap and guessing expensive.
	Cost = 11
)

// ErrPasswordTooShort is returned for passwords shorter than
// MinPasswordLength.
var ErrPasswordTooShort = fmt.Errorf("the password must be at least %d characters long", MinPasswordLength)

// PasswordSecretName is the name of the Secret holding user's password
// hash.
func PasswordSecretName(user string) string {
	return "sso-password-" + user
}

// ValidatePassword refuses passwords that are too short to keep.
func ValidatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return ErrPasswordTooShort
	}
	return nil
}

// HashPassword returns the bcrypt hash of pw, after checking it with
// ValidatePassword.
func HashPassword(pw string) ([]byte, error) {
	if err := ValidatePassword(pw); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), Cost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return nil, errors.New("the password must be at most 72 bytes long")
	}
	if err != nil {
		return nil, fmt.Errorf("hashing the password: %w", err)
	}
	return hash, nil
}

// CheckPassword reports whether pw matches hash. It takes as long as the
// hash's cost whether or not it matches.
func CheckPassword(hash []byte, pw string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
}

// PasswordSecret returns the Secret holding hash for user, owned by user
// (which must have a UID: pass the object as read from or created on the
// server).
func PasswordSecret(user *kubevisorv1alpha1.User, hash []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      PasswordSecretName(user.Name),
			Namespace: SystemNamespace,
			Labels:    map[string]string{UserLabel: user.Name},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: kubevisorv1alpha1.GroupVersion.String(),
				Kind:       "User",
				Name:       user.Name,
				UID:        user.UID,
			}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{PasswordKey: hash},
	}
}

// Hash returns the password hash kept in secret, or an error naming what is
// missing.
func Hash(secret *corev1.Secret) ([]byte, error) {
	hash := secret.Data[PasswordKey]
	if len(hash) == 0 {
		return nil, fmt.Errorf("secret %s/%s has no %q key", secret.Namespace, secret.Name, PasswordKey)
	}
	return hash, nil
}
