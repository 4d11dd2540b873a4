package tokens

import (
	"errors"
	"testing"
	"time"
)

const issuer = "https://127.0.0.1:6444"

func TestIssueAndVerify(t *testing.T) {
	now := time.Now()
	ks := &KeySet{}
	if _, err := ks.Rotate(now, time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	other := &KeySet{}
	if _, err := other.Rotate(now, time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	tok, _, err := Issue(ks, issuer, "alice", []string{"devs"}, now, 10*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := Issue(other, issuer, "alice", nil, now, 10*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		issuer  string
		at      time.Time
		wantErr bool
	}{
		{"valid", tok, issuer, now, false},
		{"expired", tok, issuer, now.Add(11 * time.Hour), true},
		{"other issuer", tok, "https://elsewhere", now, true},
		{"signed by another key", foreign, issuer, now, true},
		{"garbage", "not.a.jwt", issuer, now, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(ks, tt.issuer, tt.token, tt.at)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if err == nil && (c.Username != "alice" || len(c.Groups) != 1 || c.Groups[0] != "devs") {
				t.Fatalf("claims = %+v", c)
			}
		})
	}
}

func TestRotationKeepsKeysWhileTheirTokensLive(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	every, retain := 24*time.Hour, 10*time.Hour
	ks := &KeySet{}
	if _, err := ks.Rotate(t0, every, retain); err != nil {
		t.Fatal(err)
	}
	tok, _, err := Issue(ks, issuer, "bob", nil, t0.Add(23*time.Hour), retain)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at       time.Time
		wantKeys int
		changed  bool
	}{
		{t0.Add(time.Hour), 1, false},
		{t0.Add(24 * time.Hour), 2, true},  // rotated; the old key still verifies
		{t0.Add(30 * time.Hour), 2, false}, // bob's token (exp t0+33h) is alive
		{t0.Add(35 * time.Hour), 1, true},  // old key dropped after retain
	}
	for _, s := range steps {
		changed, err := ks.Rotate(s.at, every, retain)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks.Keys) != s.wantKeys || changed != s.changed {
			t.Fatalf("at %s: %d keys (changed %v), want %d (changed %v)", s.at.Sub(t0), len(ks.Keys), changed, s.wantKeys, s.changed)
		}
		if !s.at.Before(t0.Add(23*time.Hour)) && s.at.Before(t0.Add(33*time.Hour)) {
			if _, err := Verify(ks, issuer, tok, s.at); err != nil {
				t.Fatalf("at %s a live token stopped verifying: %v", s.at.Sub(t0), err)
			}
		}
	}
	data, err := ks.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(data)
	if err != nil || len(back.Keys) != 1 || back.Keys[0].ID != ks.Keys[0].ID {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
