package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is one signing key.
type Key struct {
	// ID is the key's "kid": a digest of its public key.
	ID string
	// Created is when the key was made; it signs new tokens until a newer
	// key replaces it.
	Created time.Time
	// Private is the key itself.
	Private *ecdsa.PrivateKey
}

// KeySet is an ordered set of keys, oldest first; the newest signs.
type KeySet struct {
	Keys []Key
}

// NewKey makes a P-256 key created at now.
func NewKey(now time.Time) (Key, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return Key{}, err
	}
	sum := sha256.Sum256(der)
	return Key{ID: base64.RawURLEncoding.EncodeToString(sum[:12]), Created: now.UTC(), Private: k}, nil
}

// Signing returns the key that signs new tokens.
func (ks *KeySet) Signing() (Key, error) {
	if len(ks.Keys) == 0 {
		return Key{}, errors.New("no signing key")
	}
	return ks.Keys[len(ks.Keys)-1], nil
}

// Rotate adds a new key when the signing key is older than every, and
// drops keys that stopped signing longer ago than retain (the longest a
// token lives), so no valid token loses its key. It reports whether the
// set changed.
func (ks *KeySet) Rotate(now time.Time, every, retain time.Duration) (bool, error) {
	changed := false
	if len(ks.Keys) == 0 || now.Sub(ks.Keys[len(ks.Keys)-1].Created) >= every {
		k, err := NewKey(now)
		if err != nil {
			return false, err
		}
		ks.Keys = append(ks.Keys, k)
		changed = true
	}
	// Key i stopped signing when key i+1 was created.
	kept := ks.Keys[:0]
	for i, k := range ks.Keys {
		if i < len(ks.Keys)-1 && now.Sub(ks.Keys[i+1].Created) > retain {
			changed = true
			continue
		}
		kept = append(kept, k)
	}
	ks.Keys = kept
	return changed, nil
}

// JWKS is the public JSON Web Key Set of every key in the set.
func (ks *KeySet) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{}
	for _, k := range ks.Keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"})
	}
	return set
}

type storedKey struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	PEM     string    `json:"pem"`
}

// Marshal encodes the set for storage. The result holds private keys.
func (ks *KeySet) Marshal() ([]byte, error) {
	out := make([]storedKey, 0, len(ks.Keys))
	for _, k := range ks.Keys {
		der, err := x509.MarshalECPrivateKey(k.Private)
		if err != nil {
			return nil, err
		}
		out = append(out, storedKey{ID: k.ID, Created: k.Created, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))})
	}
	return json.MarshalIndent(out, "", "  ")
}

// Unmarshal decodes a set written by Marshal.
func Unmarshal(data []byte) (*KeySet, error) {
	var stored []storedKey
	if err := json.Unmarshal(data, &stored); err != nil {
		return nil, fmt.Errorf("decoding signing keys: %w", err)
	}
	ks := &KeySet{}
	for _, s := range stored {
		block, _ := pem.Decode([]byte(s.PEM))
		if block == nil {
			return nil, fmt.Errorf("signing key %s: no PEM block", s.ID)
		}
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		ks.Keys = append(ks.Keys, Key{ID: s.ID, Created: s.Created, Private: k})
	}
	return ks, nil
}
