package tokens

import (
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Audience is the audience of every token the Supervisor issues.
const Audience = "kubevisor"

// Claims are what a token says about its holder.
type Claims struct {
	jwt.Claims
	// Username is the user's SSO name (without any prefix).
	Username string `json:"username"`
	// Groups are the SSO groups the user was in when the token was issued.
	Groups []string `json:"groups"`
}

// Issue signs a token of the Supervisor's audience for username and groups,
// valid for ttl from now.
func Issue(ks *KeySet, issuer, username string, groups []string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	return IssueFor(ks, issuer, Audience, username, groups, now, ttl)
}

// IssueFor signs a token for audience.
func IssueFor(ks *KeySet, issuer, audience, username string, groups []string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	key, err := ks.Signing()
	if err != nil {
		return "", time.Time{}, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", key.ID))
	if err != nil {
		return "", time.Time{}, err
	}
	if groups == nil {
		groups = []string{}
	}
	exp := now.Add(ttl)
	c := Claims{
		Claims: jwt.Claims{
			Issuer:    issuer,
			Subject:   username,
			Audience:  jwt.Audience{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-30 * time.Second)),
			Expiry:    jwt.NewNumericDate(exp),
		},
		Username: username,
		Groups:   groups,
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing token: %w", err)
	}
	return tok, exp, nil
}

// ErrInvalid is returned for a token that is malformed, signed by an
// unknown key, expired, or not meant for this issuer.
var ErrInvalid = errors.New("invalid token")

// Verify checks a token's signature against the set and its issuer,
// audience and validity period, and returns its claims.
func Verify(ks *KeySet, issuer, token string, now time.Time) (*Claims, error) {
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(parsed.Headers) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrInvalid)
	}
	kid := parsed.Headers[0].KeyID
	i := slices.IndexFunc(ks.Keys, func(k Key) bool { return k.ID == kid })
	if i < 0 {
		return nil, fmt.Errorf("%w: unknown signing key %q", ErrInvalid, kid)
	}
	c := &Claims{}
	if err := parsed.Claims(&ks.Keys[i].Private.PublicKey, c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{Audience}, Time: now}, 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Username == "" {
		return nil, fmt.Errorf("%w: no username", ErrInvalid)
	}
	return c, nil
}
