// Package tokens issues and verifies the Supervisor's single-sign-on
// tokens: short-lived JWTs (ES256) whose claims carry a user name and its
// groups, the role vCenter Single Sign-On's tokens play.
//
// Signing keys rotate. A key set keeps the key that signs new tokens and
// every older key whose tokens may still be valid, and publishes all of
// their public halves as a JWKS document, so verifiers (the embedded API
// server, guest clusters) accept tokens across a rotation.
package tokens
