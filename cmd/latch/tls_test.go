package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns the certificate.
func selfSigned(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "latch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// TestServeTLS: with tls in the configuration, latch serve speaks https
// (HTTP/2 too), assumes an https URL, and so sets the __Host- and
// __Secure- cookies.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	cert := selfSigned(t, dir)
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("tls: {certFile: cert.pem, keyFile: key.pem}\n"), 0o600)
	t.Chdir(dir)
	base, _, _, _ := serveInProcess(t)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("latch serve says to open %q; want an https URL", base)
	}

	roots := x509.NewCertPool()
	roots.AddCert(cert)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	res, err := c.Get(base + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ProtoMajor != 2 {
		t.Errorf("GET /api/auth/csrf over TLS: %d %s; want 200 over HTTP/2", res.StatusCode, res.Proto)
	}
	if h := res.Header.Get("Set-Cookie"); !strings.HasPrefix(h, "__Host-next-auth.csrf-token=") || !strings.Contains(h, "; Secure") {
		t.Errorf("CSRF cookie %q; want __Host-next-auth.csrf-token, Secure", h)
	}
}

func TestServeTLSConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"tls: {certFile: cert.pem}\n", "tls needs certFile and keyFile"},
		{"tls: {certFile: missing.pem, keyFile: missing-key.pem}\n", "missing.pem"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tc.yaml), 0o600)
		code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want an error containing %q", tc.yaml, code, stderr, tc.want)
		}
	}
}

// A renewed certificate is served without a restart; a broken renewal
// leaves the previous one in use.
func TestCertFilesReload(t *testing.T) {
	dir := t.TempDir()
	first := selfSigned(t, dir)
	var logs syncBuffer
	files, err := loadCertFiles(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	served := func() []byte {
		t.Helper()
		c, err := files.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate[0]
	}
	if !bytes.Equal(served(), first.Raw) {
		t.Fatal("not serving the loaded certificate")
	}
	later := time.Now().Add(time.Minute)
	touch := func() {
		for _, f := range []string{"cert.pem", "key.pem"} {
			os.Chtimes(filepath.Join(dir, f), later, later)
		}
		later = later.Add(time.Minute)
		files.checked = time.Time{} // as if certRecheck had passed
	}

	renewed := selfSigned(t, dir)
	touch()
	if !bytes.Equal(served(), renewed.Raw) {
		t.Error("the renewed certificate is not served")
	}
	os.WriteFile(filepath.Join(dir, "key.pem"), []byte("half-written"), 0o600)
	touch()
	if !bytes.Equal(served(), renewed.Raw) {
		t.Error("a broken renewal replaced the working certificate")
	}
	if !strings.Contains(logs.String(), "cannot be loaded") {
		t.Errorf("log %q; want the broken renewal reported", logs.String())
	}
}
