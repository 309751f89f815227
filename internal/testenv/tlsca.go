package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a throwaway certificate authority, for servers a test starts
// with TLS (a mailpit) and clients that must trust it and nothing else.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA valid for the next hour.
func NewCA(tb testing.TB, name string) CA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return CA{cert: cert, key: key}
}

// Pool holds the CA alone.
func (ca CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// WriteCert writes the CA's certificate as a PEM file (for SSL_CERT_FILE)
// and returns its path.
func (ca CA) WriteCert(tb testing.TB) string {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "ca.pem")
	writePEM(tb, file, "CERTIFICATE", ca.cert.Raw)
	return file
}

// WriteServerCert writes a certificate for 127.0.0.1 signed by the CA,
// and its key, as PEM files, and returns their paths.
func (ca CA) WriteServerCert(tb testing.TB) (certFile, keyFile string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(tb, certFile, "CERTIFICATE", der)
	writePEM(tb, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(tb testing.TB, file, kind string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// OwnTLSMailpit starts a mailpit of the test's own (OwnMailpit) with a
// certificate for 127.0.0.1 signed by ca, mode --smtp-require-starttls or
// --smtp-require-tls, and one login accepted: user and password, and no
// other (so only inside TLS).
func OwnTLSMailpit(tb testing.TB, ca CA, mode, user, password string) (smtpAddr, apiURL string) {
	tb.Helper()
	certFile, keyFile := ca.WriteServerCert(tb)
	passwords := filepath.Join(tb.TempDir(), "passwords")
	if err := os.WriteFile(passwords, []byte(user+":"+password+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return OwnMailpit(tb, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, mode, "--smtp-auth-file", passwords)
}
