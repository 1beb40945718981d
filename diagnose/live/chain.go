package live

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose"
)

// dialFunc opens a TCP connection, like net.Dialer.DialContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// endpointResult is what one TLS connection to an endpoint gave: the
// certificates the server sent and the Date header of its answer to HEAD /.
type endpointResult struct {
	// Certs are the server's certificates in DER, leaf first.
	Certs [][]byte
	// Date is the server's HTTP Date header; Local is this machine's clock
	// (UTC) when the answer arrived. Both are zero when DateErr is set.
	Date, Local time.Time
	DateErr     error
}

// fetchEndpoint connects to endpoint (host:port), through an HTTP proxy
// with CONNECT when proxy is not empty, completes a TLS handshake without
// verifying anything (the machine's chain engine verifies the chain
// afterwards), sends one HEAD / request and reads the Date header of the
// answer. It sends nothing else.
func fetchEndpoint(ctx context.Context, dial dialFunc, proxy, endpoint string) (endpointResult, error) {
	var res endpointResult
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return res, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	addr := endpoint
	if proxy != "" {
		addr = proxy
	}
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		if proxy != "" {
			return res, fmt.Errorf("proxy %s: %w", proxy, err)
		}
		return res, err
	}
	defer raw.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(d)
	}
	// Close the connection when ctx ends, so that a stalled server cannot
	// hold the probe past its deadline.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	if proxy != "" {
		if err := connectThrough(raw, proxy, endpoint); err != nil {
			return res, err
		}
	}
	conn := tls.Client(raw, &tls.Config{
		ServerName: host,
		// The chain is verified by Windows' own chain engine
		// (CertGetCertificateChain and the SSL policy), exactly as Windows
		// Update sees it; Go only has to fetch it.
		InsecureSkipVerify: true, //nolint:gosec // verified by the chain engine
		NextProtos:         []string{"http/1.1"},
	})
	if err := conn.HandshakeContext(ctx); err != nil {
		return res, fmt.Errorf("TLS handshake: %w", err)
	}
	for _, c := range conn.ConnectionState().PeerCertificates {
		res.Certs = append(res.Certs, c.Raw)
	}
	res.Date, res.Local, res.DateErr = headDate(conn, host)
	return res, nil
}

// connectThrough asks an HTTP proxy on conn to open a tunnel to endpoint.
func connectThrough(conn net.Conn, proxy, endpoint string) error {
	if _, err := fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: wulog-probe\r\n\r\n", endpoint, endpoint); err != nil {
		return fmt.Errorf("proxy %s: %w", proxy, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect})
	if err != nil {
		return fmt.Errorf("proxy %s: reading the answer to CONNECT: %w", proxy, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("proxy %s answered CONNECT %s with %q", proxy, endpoint, resp.Status)
	}
	return nil
}

// headDate sends HEAD / on conn and returns the Date header of the answer
// and the local clock when it arrived.
func headDate(conn net.Conn, host string) (date, local time.Time, err error) {
	if _, err := fmt.Fprintf(conn, "HEAD / HTTP/1.1\r\nHost: %s\r\nUser-Agent: wulog-probe\r\nConnection: close\r\n\r\n", host); err != nil {
		return date, local, fmt.Errorf("HEAD /: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodHead})
	if err != nil {
		return date, local, fmt.Errorf("HEAD /: %w", err)
	}
	local = time.Now().UTC()
	resp.Body.Close()
	h := resp.Header.Get("Date")
	if h == "" {
		return time.Time{}, time.Time{}, fmt.Errorf("HEAD / answered %q without a Date header", resp.Status)
	}
	date, err = http.ParseTime(h)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("HEAD /: Date header %q: %w", h, err)
	}
	return date.UTC(), local, nil
}

// assembleChain turns what the chain engine returned into a
// diagnose.Chain, reading names, validity and thumbprints from the
// certificates themselves.
func assembleChain(endpoint string, raw rawChain) diagnose.Chain {
	ch := diagnose.Chain{
		Endpoint:    endpoint,
		ErrorStatus: raw.ErrorStatus,
		InfoStatus:  raw.InfoStatus,
		PolicyError: raw.PolicyError,
	}
	for _, e := range raw.Elements {
		el := diagnose.ChainElement{ErrorStatus: e.ErrorStatus, InfoStatus: e.InfoStatus}
		if len(e.DER) > 0 {
			sum := sha1.Sum(e.DER) //nolint:gosec // the Windows thumbprint is SHA-1 by definition
			el.Thumbprint = strings.ToUpper(hex.EncodeToString(sum[:]))
		}
		if c, err := x509.ParseCertificate(e.DER); err == nil {
			el.Subject = x500Name(c.RawSubject, c.Subject)
			el.Issuer = x500Name(c.RawIssuer, c.Issuer)
			el.NotBefore = c.NotBefore.UTC()
			el.NotAfter = c.NotAfter.UTC()
		} else {
			el.Subject = fmt.Sprintf("(certificate not readable: %v)", err)
		}
		ch.Elements = append(ch.Elements, el)
	}
	return ch
}

// errTimeout is returned by a probe that did not finish in time.
var errTimeout = errors.New("timed out")
