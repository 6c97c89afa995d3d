package dhcpserver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leased/leased/dhcpserver"
	"github.com/leased/leased/dhcpserver/dhcptest"
	"github.com/leased/leased/dhcpv4"
)

// TestShutdownCancelsContexts checks that a Shutdown whose context ends
// before a handler returns cancels that handler's request context, with a
// cause that says why.
func TestShutdownCancelsContexts(t *testing.T) {
	entered := make(chan struct{})
	cause := make(chan error, 1)
	ts := dhcptest.NewServer(t, dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		close(entered)
		select {
		case <-r.Context().Done():
			cause <- context.Cause(r.Context())
		case <-time.After(10 * time.Second):
			cause <- nil
		}
	}))
	if err := ts.Client.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ts.Config.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown returned %v, want its context's deadline", err)
	}
	err := <-cause
	if !errors.Is(err, dhcpserver.ErrServerClosed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request context ended with cause %v, want ErrServerClosed and the deadline", err)
	}
}

// TestStopWithCause checks that a handler can stop its server, and that
// Serve then returns the cause, which the request contexts carry too.
func TestStopWithCause(t *testing.T) {
	errDisk := errors.New("lease database gone")
	srv := &dhcpserver.Server{Addr: "127.0.0.1:0", NoRawSockets: true}
	ctxCause := make(chan error, 1)
	srv.Handler = dhcpserver.HandlerFunc(func(w dhcpserver.ResponseWriter, r *dhcpserver.Request) {
		srv.Stop(errDisk)
		srv.Stop(errors.New("a later cause")) // the first one wins
		<-r.Context().Done()
		ctxCause <- context.Cause(r.Context())
	})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	c, err := dhcptest.NewClient(srv.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send((&dhcptest.Message{Type: dhcpv4.Discover, XID: 1, CHAddr: hw(1)}).MustBuild()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != errDisk {
		t.Errorf("Serve returned %v, want %v", err, errDisk)
	}
	if err := <-ctxCause; err != errDisk {
		t.Errorf("request context's cause %v, want %v", err, errDisk)
	}
	if err := srv.Serve(); !errors.Is(err, dhcpserver.ErrServerClosed) {
		t.Errorf("Serve after Stop returned %v, want ErrServerClosed", err)
	}
}
