package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/server"
)

// run starts server.Run and returns its address and a function stopping
// it, which fails the test if Run did not return cleanly.
func run(t *testing.T, a *app.App, opts server.Options) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	opts.Ready = func(addr string) { ready <- addr }
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	go func() { done <- server.Run(ctx, a, opts) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("server did not shut down")
		}
	}
}

func TestRunShutsDownWhenCancelled(t *testing.T) {
	addr, stop := run(t, app.New(dbtest.SQLite(t)), server.Options{Addr: "127.0.0.1:0"})
	if res, _ := get(t, "http://"+addr+"/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	stop()
}

// Plain http to the network would carry passwords in clear: refused unless
// TLS is served or a proxy in front is declared.
func TestRunRefusesPlainHTTPToTheNetwork(t *testing.T) {
	a := app.New(dbtest.SQLite(t))
	err := server.Run(context.Background(), a, server.Options{Addr: "0.0.0.0:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if !errors.Is(err, server.ErrPlainHTTP) {
		t.Fatalf("Run on 0.0.0.0 without TLS: %v", err)
	}
	addr, stop := run(t, a, server.Options{Addr: "0.0.0.0:0", BehindProxy: true})
	_, port, _ := net.SplitHostPort(addr)
	res, _ := get(t, "http://127.0.0.1:"+port+"/healthz")
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("behind a proxy: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	stop()
}

// With a certificate and key the server speaks TLS 1.2 or later only, and
// tells browsers to keep to https.
func TestRunTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeCertificate(t, certFile, keyFile)
	a := app.New(dbtest.SQLite(t))
	addr, stop := run(t, a, server.Options{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile})
	defer stop()

	client := func(max uint16) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: max, MinVersion: tls.VersionTLS10}}}
	}
	res, err := client(0).Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
		t.Errorf("https: %d, TLS %+v", res.StatusCode, res.TLS)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header over https")
	}
	if _, err := client(tls.VersionTLS11).Get("https://" + addr + "/healthz"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	// Go's TLS server answers a plain request with a bare 400, nothing more.
	if res, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain http on the TLS port: %d", res.StatusCode)
		}
	}
}

// writeCertificate writes a self-signed certificate for localhost and
// returns a pool trusting it.
func writeCertificate(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
