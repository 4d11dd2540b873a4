package store

import (
	"bytes"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func TestHashPassword(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		wantErr error
	}{
		{name: "ok", pw: "correct horse"},
		{name: "exactly eight", pw: "12345678"},
		{name: "eight runes", pw: "ééééééé1"},
		{name: "too short", pw: "1234567", wantErr: ErrPasswordTooShort},
		{name: "empty", pw: "", wantErr: ErrPasswordTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := HashPassword(tt.pw)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("HashPassword() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(hash, []byte(tt.pw)) {
				t.Fatalf("hash %q contains the password", hash)
			}
			if !bytes.HasPrefix(hash, []byte("$2a$11$")) {
				t.Errorf("hash %q is not bcrypt with cost 11", hash)
			}
			if !CheckPassword(hash, tt.pw) {
				t.Error("CheckPassword(hash, pw) = false")
			}
			if CheckPassword(hash, tt.pw+"x") {
				t.Error("CheckPassword(hash, wrong) = true")
			}
		})
	}
}

func TestPasswordSecret(t *testing.T) {
	user := &kubevisorv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: "alice", UID: "uid-1"}}
	s := PasswordSecret(user, []byte("hash"))
	if s.Name != "sso-password-alice" || s.Namespace != "kubevisor-system" {
		t.Errorf("secret is %s/%s", s.Namespace, s.Name)
	}
	if s.Labels[UserLabel] != "alice" {
		t.Errorf("labels = %v", s.Labels)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != "uid-1" || s.OwnerReferences[0].Kind != "User" ||
		s.OwnerReferences[0].APIVersion != "kubevisor.io/v1alpha1" {
		t.Errorf("ownerReferences = %+v", s.OwnerReferences)
	}
	if got, err := Hash(s); err != nil || string(got) != "hash" {
		t.Errorf("Hash() = %q, %v", got, err)
	}
}
