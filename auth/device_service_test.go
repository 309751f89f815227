package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"shop/auth"
	"shop/clientip"
	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// Login attempts with a device token for the account tried count per
// device and skip the email's allowance; any other token (another
// account's, forged, or none) leaves an attempt to the email's.
func TestDeviceTokensAtLogin(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 4})
	email := &limiter{n: 1000, seen: map[string]int{}}
	device := &limiter{n: 3, seen: map[string]int{}}
	svc := MustService(t, s, auth.Options{EmailLimiter: email, DeviceLimiter: device})
	ctx := clientip.With(context.Background(), "192.0.2.7")

	ann := MustRegister(t, svc, "ann@example.com")
	bob := MustRegister(t, svc, "bob@example.com")
	if ann.DeviceToken == "" || bob.DeviceToken == "" || ann.DeviceToken == bob.DeviceToken {
		t.Fatalf("registration device tokens %q, %q", ann.DeviceToken, bob.DeviceToken)
	}
	login := func(token, pw string) (models.Session, error) { return svc.Login(ctx, "Ann@Example.com", pw, token) }

	// Ann's device: counted per device, not per email.
	before := email.seen["ann@example.com"]
	sess, err := login(ann.DeviceToken, password)
	if err != nil {
		t.Fatal(err)
	}
	if email.seen["ann@example.com"] != before || len(device.asked) != 1 {
		t.Fatalf("a device's attempt counted per email (%d → %d) or not per device (%v)", before, email.seen["ann@example.com"], device.asked)
	}
	if sess.DeviceToken == "" {
		t.Fatal("no device token")
	}
	// The device keeps its id: the renewed token counts in the same bucket.
	if _, err := login(sess.DeviceToken, "wrong password"); models.ErrorCode(err) != errcode.Unauthenticated {
		t.Fatalf("a wrong password: %v", err)
	}
	if device.asked[0] != device.asked[1] || strings.Contains(device.asked[0], "ann") {
		t.Fatalf("device keys %v", device.asked)
	}
	_, _ = login(sess.DeviceToken, "wrong password") // the third
	_, err = login(sess.DeviceToken, password)
	wantCode(t, err, errcode.RateLimited)

	// Without it, or with Bob's, or forged: per email, as before, and a
	// new device id on success.
	for name, tok := range map[string]string{"none": "", "Bob's": bob.DeviceToken, "forged": ann.DeviceToken[:len(ann.DeviceToken)-3] + "abc", "garbage": "d1.x"} {
		before := email.seen["ann@example.com"]
		sess, err := login(tok, password)
		if err != nil || email.seen["ann@example.com"] != before+1 {
			t.Fatalf("%s: %v; email count %d → %d", name, err, before, email.seen["ann@example.com"])
		}
		if sess.DeviceToken == "" {
			t.Fatalf("%s: no device token", name)
		}
	}
	if len(device.asked) != 4 {
		t.Fatalf("device limiter asked %d times, want 4", len(device.asked))
	}
	// An unknown email with a valid token: per email.
	before = email.seen["nobody@example.com"]
	if _, err := svc.Login(ctx, "nobody@example.com", password, ann.DeviceToken); models.ErrorCode(err) != errcode.Unauthenticated || email.seen["nobody@example.com"] != before+1 {
		t.Fatalf("unknown email: %v", err)
	}
	// A refresh has no device token.
	r, err := svc.Refresh(ctx, ann.RefreshToken)
	if err != nil || r.DeviceToken != "" {
		t.Fatalf("refresh: %v, device token %q", err, r.DeviceToken)
	}
}
