package control

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leased/leased/config"
)

// httpSettings are the parts of an HTTP socket's configuration that can
// change while it stays bound.
type httpSettings struct {
	auth    *basicAuth
	headers []config.HTTPHeader
	tls     *tls.Config // nil for plain HTTP
}

// httpListener is an HTTP or HTTPS control socket.
type httpListener struct {
	s        *Server
	desc     string
	bound    string
	useTLS   bool
	settings atomic.Pointer[httpSettings]
	srv      *http.Server
	stopOnce sync.Once
	stopCtx  context.Context // done once stop was called
	stopped  context.CancelFunc
	served   chan struct{} // closed when Serve has returned
}

// loadHTTPSettings checks and loads an HTTP socket's authentication and
// TLS files. As in Kea, TLS is on when cert-file is given, and then
// trust-anchor, cert-file and key-file are all required.
func loadHTTPSettings(cs config.ControlSocket) (*httpSettings, error) {
	name := cs.Type + " control socket"
	st := &httpSettings{headers: cs.HTTPHeaders}
	auth, err := loadAuth(cs.Authentication)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	st.auth = auth
	haveCA, haveCert, haveKey := cs.TrustAnchor != "", cs.CertFile != "", cs.KeyFile != ""
	switch {
	case !haveCA && !haveCert && !haveKey:
		if cs.Type == "https" {
			return nil, fmt.Errorf("%s: no TLS setup for a HTTPS control socket", name)
		}
		return st, nil
	case !haveCA:
		return nil, fmt.Errorf("%s: trust-anchor parameter is missing or empty: all or none of TLS parameters must be set", name)
	case !haveCert:
		return nil, fmt.Errorf("%s: cert-file parameter is missing or empty: all or none of TLS parameters must be set", name)
	case !haveKey:
		return nil, fmt.Errorf("%s: key-file parameter is missing or empty: all or none of TLS parameters must be set", name)
	}
	cert, err := tls.LoadX509KeyPair(cs.CertFile, cs.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: loading cert-file %s and key-file %s: %w", name, cs.CertFile, cs.KeyFile, err)
	}
	pool, err := loadTrustAnchor(cs.TrustAnchor)
	if err != nil {
		return nil, fmt.Errorf("%s: trust-anchor: %w", name, err)
	}
	tc := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
	if cs.CertRequired {
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	st.tls = tc
	return st, nil
}

// loadTrustAnchor reads a CA file, or every file of a CA directory (Kea
// accepts both).
func loadTrustAnchor(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	files := []string{path}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range ents {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	n := 0
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if pool.AppendCertsFromPEM(pem) {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no PEM certificate found in %s", path)
	}
	return pool, nil
}

func (s *Server) openHTTP(cs config.ControlSocket) (*httpListener, error) {
	st, err := loadHTTPSettings(cs)
	if err != nil {
		return nil, err
	}
	addr, err := httpAddr(cs)
	if err != nil {
		return nil, err
	}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s control socket: %w", cs.Type, err)
	}
	l := &httpListener{s: s, bound: tcp.Addr().String(), useTLS: st.tls != nil,
		served: make(chan struct{})}
	l.stopCtx, l.stopped = context.WithCancel(context.Background())
	scheme := "http"
	if l.useTLS {
		scheme = "https"
	}
	l.desc = scheme + "://" + l.bound
	l.settings.Store(st)
	if st.auth == nil {
		s.log.Warn("control socket has neither authentication nor TLS: anyone who can reach it controls the server", "socket", l.desc)
	}
	var ln net.Listener = &limitListener{Listener: tcp, s: s, ctx: l.stopCtx, plain: !l.useTLS}
	if l.useTLS {
		ln = tls.NewListener(ln, &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				return l.settings.Load().tls, nil
			},
		})
	}
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: s.opts.IdleTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, tracked(c))
		},
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(l.served)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("control socket stopped", "socket", l.desc, "error", err)
		}
	}()
	return l, nil
}

func (l *httpListener) describe() string { return l.desc }
func (l *httpListener) addr() string     { return l.bound }

// check loads what update would apply, without applying it.
func (l *httpListener) check(cs config.ControlSocket) error {
	st, err := loadHTTPSettings(cs)
	if err != nil {
		return err
	}
	switch {
	case l.useTLS && st.tls == nil:
		return fmt.Errorf("control socket %s: can not switch from HTTPS to HTTP sockets using the same address and port", l.bound)
	case !l.useTLS && st.tls != nil:
		return fmt.Errorf("control socket %s: can not switch from HTTP to HTTPS sockets using the same address and port", l.bound)
	}
	return nil
}

func (l *httpListener) update(cs config.ControlSocket) error {
	if err := l.check(cs); err != nil {
		return err
	}
	st, err := loadHTTPSettings(cs)
	if err != nil {
		return err
	}
	l.settings.Store(st)
	return nil
}

func (l *httpListener) stop() {
	l.stopOnce.Do(func() {
		l.stopped()
		// Shutdown closes the listener at once; waiting for the
		// connections is drain's business, so it runs with a context
		// that is already done.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l.srv.Shutdown(ctx)
	})
}

func (l *httpListener) drain(ctx context.Context) error {
	l.srv.Shutdown(ctx)
	if err := ctx.Err(); err != nil {
		l.srv.Close()
		<-l.served
		return err
	}
	<-l.served
	return nil
}

// stockBody is Kea's body for an HTTP error status: a bare map, not
// wrapped in a list.
func stockBody(code int) []byte {
	b, _ := json.Marshal(map[string]any{"result": code, "text": http.StatusText(code)})
	return b
}

func (l *httpListener) stock(w http.ResponseWriter, code int) {
	body := stockBody(code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

// connKey keys the *trackedConn of a request in its context.
type connKey struct{}

// bodyChunk is how much of an HTTP body one read takes.
const bodyChunk = 32 << 10

// ServeHTTP answers one POSTed command. Basic authentication is checked
// first (401 with WWW-Authenticate), so that a client without
// credentials learns nothing else: not which paths exist nor what they
// accept, and it cannot make the server read a body. From then on the
// connection is busy and cannot be displaced by newcomers. The request
// must be a POST of application/json (else 400, as Kea); the body must
// be one JSON map with only white space after it (else 400), within
// MaxRequestBytes (else 413) and the byte budget (else 503); then the
// command runs and its answer is sent in a one-element list.
func (l *httpListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := l.s
	st := l.settings.Load()
	for _, h := range st.headers {
		w.Header().Set(h.Name, h.Value)
	}
	ri := RequestInfo{Transport: "http", Remote: r.RemoteAddr}
	if r.TLS != nil {
		ri.Transport = "https"
	}
	if st.auth != nil {
		user, ok := st.auth.check(r.Header.Get("Authorization"))
		if !ok {
			s.log.Info("control request not authorized", "remote", r.RemoteAddr)
			realm := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(st.auth.realm)
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
			l.stock(w, http.StatusUnauthorized)
			return
		}
		ri.User = user
		if user != "" {
			s.log.Debug("control request authorized", "remote", r.RemoteAddr, "user", user)
		}
	}
	if tc, _ := r.Context().Value(connKey{}).(*trackedConn); tc != nil {
		tc.setBusy(true)
		defer func() {
			// The answer leaves before the connection may be displaced.
			http.NewResponseController(w).Flush()
			tc.setBusy(false)
		}()
	}
	get := s.opts.GetHandlers[r.URL.Path]
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if get == nil && (r.Method != http.MethodPost || ct != "application/json") || get != nil && r.Method != http.MethodGet {
		l.stock(w, http.StatusBadRequest)
		return
	}
	if get != nil {
		get.ServeHTTP(w, r)
		return
	}

	cr := cmdReader{s: s}
	defer cr.release()
	if code := l.readBody(r, &cr, http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes)); code != 0 {
		if code == http.StatusServiceUnavailable {
			s.log.Warn("control command refused: the commands in progress hold the most memory allowed",
				"transport", ri.Transport, "remote", r.RemoteAddr, "max-pending-bytes", s.opts.MaxPendingBytes)
			w.Header().Set("Retry-After", "1")
		}
		l.stock(w, code)
		return
	}

	var resp Response
	cmd, err := decodeCommand(cr.f.out)
	if err != nil {
		resp = parseErrorResponse(err)
	} else if bad := checkService(cmd, s.opts.Service); bad != nil {
		resp = *bad
	} else {
		resp = s.reg.Execute(withInfo(r.Context(), ri), cmd)
	}
	out := append([]byte("[ "), encode(resp)...)
	out = append(out, " ]"...)
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.opts.IdleTimeout))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// readBody streams the body through cr and returns 0, or the HTTP status
// that refuses it. A body that announces its length gets its buffer (and
// its share of the budget) at once, so it is copied only once.
func (l *httpListener) readBody(r *http.Request, cr *cmdReader, body io.Reader) int {
	if r.ContentLength > l.s.opts.MaxRequestBytes {
		return http.StatusRequestEntityTooLarge
	}
	if r.ContentLength > 0 {
		if err := cr.reserve(int(r.ContentLength)); err != nil {
			return http.StatusServiceUnavailable
		}
	}
	buf := make([]byte, bodyChunk)
	for {
		n, err := body.Read(buf)
		p := buf[:n]
		if !cr.f.done {
			used, werr := cr.write(p)
			switch {
			case errors.Is(werr, errBusy):
				return http.StatusServiceUnavailable
			case errors.Is(werr, errTooLarge):
				return http.StatusRequestEntityTooLarge
			case cr.f.err != nil:
				return http.StatusBadRequest
			}
			p = p[used:]
		}
		if cr.f.done && trailing(p, 0, 0) != nil {
			return http.StatusBadRequest
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return http.StatusRequestEntityTooLarge
			}
			return http.StatusBadRequest
		}
	}
	if !cr.f.done || !json.Valid(cr.f.out) {
		return http.StatusBadRequest
	}
	return 0
}

// checkService applies Kea's rules for the "service" list of an HTTP
// command: absent or empty is fine; otherwise one string naming this
// server.
func checkService(c Command, supported string) *Response {
	if supported == "" || c.service == nil {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(c.service, &list); err != nil || list == nil {
		r := Errorf("service value must be a list")
		return &r
	}
	if len(list) == 0 {
		return nil
	}
	if len(list) != 1 {
		r := Errorf("service value has more than one item")
		return &r
	}
	var name string
	if err := json.Unmarshal(list[0], &name); err != nil {
		r := Errorf("service name must be a string")
		return &r
	}
	if name == "" || name == supported {
		return nil
	}
	r := Errorf("unsupported service '%s', expected '%s'", name, supported)
	return &r
}

// limitListener admits each connection into the server's connTable:
// Accept waits while every slot is busy with a command, and a connection
// beyond a bound displaces the oldest one still waiting for its request.
type limitListener struct {
	net.Listener
	s     *Server
	ctx   context.Context // done when the socket is stopped
	plain bool            // plain HTTP, so a refusal can be answered
	// refusing bounds the goroutines that answer refused connections,
	// which wait up to a second each; beyond it a refusal just closes.
	refusing semaphore
}

// semaphore counts refusals in progress, up to maxRefusing; it never
// blocks.
type semaphore struct{ n atomic.Int32 }

func (s *semaphore) TryAcquire() bool {
	if s.n.Add(1) > maxRefusing {
		s.n.Add(-1)
		return false
	}
	return true
}

func (s *semaphore) Release() { s.n.Add(-1) }

// maxRefusing is how many refused HTTP connections are answered at once.
const maxRefusing = 16

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		if !l.s.table.waitRoom(l.ctx) {
			return nil, net.ErrClosed
		}
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		source := ""
		if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
			source = ap.Addr().Unmap().String()
		}
		tc, err := l.s.table.admit(l.ctx, c, source)
		if err == nil {
			return tc, nil
		}
		if !errors.Is(err, errSourceBusy) {
			c.Close()
			return nil, net.ErrClosed
		}
		// Every connection of this source is busy with a command: this
		// one is refused rather than queued, so that the other sources'
		// clients are not held up behind it.
		l.s.log.Debug("control connection refused", "remote", c.RemoteAddr().String(), "error", err)
		if !l.plain || !l.refusing.TryAcquire() {
			c.Close()
			continue
		}
		go func() {
			defer l.refusing.Release()
			refuseBusy(c)
		}()
	}
}

// refuseBusy answers 503 on a connection that is not admitted, and closes
// it. The answer waits for the request's head (for at most a second): an
// HTTP client that gets an answer before it has sent its request takes
// it for a broken connection, not for a refusal it may retry.
func refuseBusy(c net.Conn) {
	defer c.Close()
	deadline := time.Now().Add(time.Second)
	c.SetDeadline(deadline)
	head := make([]byte, 0, 4096)
	buf := make([]byte, 1024)
	for !strings.Contains(string(head), "\r\n\r\n") && len(head) < cap(head) {
		n, err := c.Read(buf)
		head = append(head, buf[:min(n, cap(head)-len(head))]...)
		if err != nil {
			return
		}
	}
	body := stockBody(http.StatusServiceUnavailable)
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
	// Close only the sending side and read what the client still sends
	// (its request body), so that the close does not reset the connection
	// before the client has read the answer.
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
}
