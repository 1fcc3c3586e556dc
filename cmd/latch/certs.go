package main

import (
	"crypto/tls"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certFiles serves a certificate from PEM files and loads them again when
// they change (a renewal by certbot or similar), without a restart. A
// renewal that cannot be loaded is logged, and the previous certificate
// stays in use.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time // the later of the two files' times, when loaded
	checked time.Time
}

// certRecheck is how often the files' times are looked at, at most.
const certRecheck = 10 * time.Second

// loadCertFiles loads the certificate, failing when it cannot.
func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certFiles) load() error {
	m := c.filesModTime()
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.modTime = &cert, m
	return nil
}

func (c *certFiles) filesModTime() time.Time {
	var latest time.Time
	for _, name := range []string{c.certFile, c.keyFile} {
		if fi, err := os.Stat(name); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest
}

// GetCertificate is for tls.Config.GetCertificate.
func (c *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= certRecheck {
		c.checked = now
		if m := c.filesModTime(); !m.Equal(c.modTime) {
			old := c.modTime
			if err := c.load(); err != nil {
				c.modTime = m // do not retry a broken pair on every handshake
				c.log.Error("tls: the certificate files changed but cannot be loaded; still serving the previous certificate", "cert", c.certFile, "err", err)
			} else {
				c.log.Info("tls: certificate reloaded", "cert", c.certFile, "previous", old)
			}
		}
	}
	return c.cert, nil
}
