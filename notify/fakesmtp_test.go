package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is just enough of an RFC 5321 submission server on loopback:
// EHLO, STARTTLS (when tlsConfig is set), AUTH PLAIN (when user is set),
// MAIL, RCPT, DATA, RSET, NOOP, QUIT. It keeps every message and command.
type fakeSMTP struct {
	addr       string
	tlsConfig  *tls.Config
	user, pass string

	mu       sync.Mutex
	messages []fakeMessage
	commands []string
}

// fakeMessage is one message accepted by fakeSMTP.
type fakeMessage struct {
	from   string
	to     []string
	data   string
	tls    bool
	authed bool
}

// startFakeSMTP listens on 127.0.0.1:0 until the test ends.
func startFakeSMTP(t *testing.T, tlsConfig *tls.Config, user, pass string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveFakeSMTP(t, ln, tlsConfig, user, pass)
}

// startFakeSMTPS is startFakeSMTP speaking TLS from the first byte (port
// 465 style), with no STARTTLS.
func startFakeSMTPS(t *testing.T, tlsConfig *tls.Config, user, pass string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveFakeSMTP(t, tls.NewListener(ln, tlsConfig), nil, user, pass)
}

// serveFakeSMTP serves on ln until the test ends.
func serveFakeSMTP(t *testing.T, ln net.Listener, tlsConfig *tls.Config, user, pass string) *fakeSMTP {
	f := &fakeSMTP{addr: ln.Addr().String(), tlsConfig: tlsConfig, user: user, pass: pass}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(conn) })
		}
	})
	return f
}

// serve speaks to one client.
func (f *fakeSMTP) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	_, implicit := conn.(*tls.Conn)
	msg := fakeMessage{tls: implicit}
	_ = tp.PrintfLine("220 fake.example ESMTP ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.commands = append(f.commands, line)
		f.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"fake.example", "8BITMIME"}
			if f.tlsConfig != nil && !msg.tls {
				ext = append(ext, "STARTTLS")
			}
			if f.user != "" {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, f.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, msg = tc, textproto.NewConn(tc), fakeMessage{tls: true}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			got, _ := base64.StdEncoding.DecodeString(resp)
			if strings.ToUpper(mech) != "PLAIN" || string(got) != "\x00"+f.user+"\x00"+f.pass {
				_ = tp.PrintfLine("535 5.7.8 authentication credentials invalid")
				continue
			}
			msg.authed = true
			_ = tp.PrintfLine("235 2.7.0 authenticated")
		case "MAIL":
			if f.user != "" && !msg.authed {
				_ = tp.PrintfLine("530 5.7.0 authentication required")
				continue
			}
			msg.from = between(arg, "<", ">")
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			msg.to = append(msg.to, between(arg, "<", ">"))
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			msg.data = string(data)
			f.mu.Lock()
			f.messages = append(f.messages, msg)
			f.mu.Unlock()
			msg = fakeMessage{tls: msg.tls, authed: msg.authed}
			_ = tp.PrintfLine("250 2.0.0 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 5.5.2 command not recognized")
		}
	}
}

// between returns the text of s between open and close.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}

// received returns the messages and commands so far.
func (f *fakeSMTP) received() ([]fakeMessage, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMessage(nil), f.messages...), append([]string(nil), f.commands...)
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client pool
// trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
