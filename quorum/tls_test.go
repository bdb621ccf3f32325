package quorum_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/quorum"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "quorumlock test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestDialOverTLSWithACLUser: rediss:// URLs with a user, a password and a database, verified
// against a CA given in Options.TLSConfig.
func TestDialOverTLSWithACLUser(t *testing.T) {
	cert, pool := selfSigned(t)
	var urls []string
	var servers []*miniredis.Miniredis
	for range 3 {
		s := miniredis.NewMiniRedis()
		servers = append(servers, s)
		s.RequireUserAuth("app", "s3cret")
		if err := s.StartTLS(&tls.Config{Certificates: []tls.Certificate{cert}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		urls = append(urls, "rediss://app:s3cret@"+s.Addr()+"/2")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, urls, quorum.Options{TLSConfig: &tls.Config{RootCAs: pool}, NodeTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	le, err := l.Acquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	// A waiter's pub/sub connections authenticate and verify the server as the lock's do.
	waiter, err := quorum.Dial(ctx, urls, noPolling(quorum.Options{TLSConfig: &tls.Config{RootCAs: pool}, NodeTimeout: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	got := waitInBackground(waiter, "job")
	ch := quorum.DefaultKeyPrefix + "{job}:released"
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if servers[0].PubSubNumSub(ch)[ch] > 0 {
			break
		}
	}
	if err := le.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter over TLS after the release: %v", err)
	}

	_, err = quorum.Dial(ctx, urls, quorum.Options{NodeTimeout: 200 * time.Millisecond}) // system roots: untrusted
	if err == nil {
		t.Fatal("Dial trusted a self-signed certificate without being told to")
	}
}
